"""What the site lets follow-on jobs use, handed from the hub to the notebook server.

The spawner knows the site (image catalog, engines and their options, where the node
helpers live, the user's home on the nodes); the extension in the notebook server
does not, and must not be able to widen it. ``JobSite`` travels as one JSON value
in the server's 0600 env file (``FUNICULAR_JOB_SITE``) and holds no secret.
"""

import json
from dataclasses import asdict, dataclass, field

from .. import validate as v
from ..containers.base import Bind, known_runtime
from ..errors import SpecError

BACKENDS = ("rest", "cli", "unicore")


@dataclass(frozen=True)
class SiteImage:
    path: str
    runtime: str | None = None
    description: str = ""


@dataclass(frozen=True)
class JobSite:
    images: dict[str, SiteImage]
    host_home: str  # the user's home as the compute nodes see it
    runtime: str = "charliecloud"  # the engine for images that do not name one
    # each engine's options as the spawner gives them (executable, helpers_dir...)
    runtime_options: dict[str, dict] = field(default_factory=dict)
    scratch: dict | None = None  # the spawner's volatile_scratch
    backend: str = "rest"
    slurmrestd_url: str | None = None  # as the notebook's node reaches it
    # backend "cli": the directory of the Slurm commands inside the container (a site's
    # own bound in, of the cluster's release); None: the image's PATH
    slurm_bin_dir: str | None = None
    unicore_url: str | None = None
    pmi: str = "pmix"  # srun --mpi= for MPI jobs
    jobs_dir: str = "funicular-jobs"  # each job's directory, under the home
    partitions: tuple[str, ...] = ()  # offered in the launcher form; Slurm has the last word
    binds: tuple[tuple[str, str], ...] = ()  # the site's binds (SOURCE, TARGET), as notebooks
    stage_image: str | None = None  # runs stage-in/out (has Funicular); None: no staging

    def __post_init__(self):
        v.path("host_home", self.host_home)
        known_runtime("runtime", self.runtime)
        for name, image in self.images.items():
            v.name("image", name)
            if image.runtime is not None:
                known_runtime(f"image {name!r}", image.runtime)
        if self.backend not in BACKENDS:
            raise SpecError("backend", f"{self.backend!r} is not one of {', '.join(BACKENDS)}")
        v.name("pmi", self.pmi)
        if self.slurm_bin_dir is not None:
            v.path("slurm_bin_dir", self.slurm_bin_dir)
        rel = self.jobs_dir
        if not rel or rel.startswith("/") or ".." in rel.split("/"):
            raise SpecError("jobs_dir", f"{rel!r} must be a relative path inside the home")
        for p in self.partitions:
            v.name("partitions", p)
        for source, target in self.binds:
            Bind(source, target)
        if self.stage_image is not None and self.stage_image not in self.images:
            raise SpecError("stage_image", f"{self.stage_image!r} is not in the catalog")

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "JobSite":
        d = json.loads(text)
        d["images"] = {k: SiteImage(**i) for k, i in d.get("images", {}).items()}
        d["partitions"] = tuple(d.get("partitions", ()))
        d["binds"] = tuple(tuple(b) for b in d.get("binds", ()))
        return cls(**d)
