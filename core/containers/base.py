"""One small interface for every container engine: a launch spec in, argv out.

Engines differ in how they do the same few things: bind the user's home and scratch,
keep the host environment out except an allow-list, bring in GPUs, run MPI (hybrid:
MPI inside the image, launched by srun; bind: the host's MPI bound in), and give a
writable volatile scratch area. ``ContainerLaunch`` says what; each engine module
says how, as a pure ``argv``.
"""

import importlib.resources
import re
from dataclasses import dataclass
from typing import ClassVar

from .. import validate as v
from ..errors import SpecError
from ..hubapi import SCRATCH
from ..registry import Known, Registry

# Scripts that run on the compute nodes next to the engine. By default from this
# installation, which is right where the nodes see it at the same path; otherwise the
# admin installs them on the nodes (``funicular node-helpers DIR``) and names the
# directory (``helpers_dir``, the spawner's ``node_helpers_dir``).
HELPERS_DIR = str(importlib.resources.files("funicular.core"))
NODE_HELPERS = ("envfilter.sh", "podman-job.sh", "staged.sh", "ch-run-job.sh", "nodetmp.sh")
# wraps engines that pass the whole host environment into the container
ENVFILTER = f"{HELPERS_DIR}/envfilter.sh"
MPI_MODES = ("none", "hybrid", "bind")
# what srun's PMI and the MPI libraries pass to each rank: allowed in with any MPI mode
MPI_ENV_ALLOW = ("PMIX_*", "PMI_*", "OMPI_*", "MPICH_*", "I_MPI_*")
# the PMIx client in an image and the host's PMIx server may not share a shared-memory
# data store (versions, /dev/shm): the hash store always works
MPI_ENV = (("PMIX_MCA_gds", "hash"),)
# an image path, or a registry/OCI reference such as "library/jupyter:2026.11"
_IMAGE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,255}")

# Host variables a containerised process may see; everything else is dropped so that
# the hub's or the login shell's PATH, PIP_*, VIRTUAL_ENV... never leak into an image.
DEFAULT_ENV_ALLOW = (
    "USER", "LOGNAME", "LANG", "TZ", "TERM",
    "SLURM_*", "SLURMD_NODENAME",
    "CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES",
)


@dataclass(frozen=True)
class Bind:
    source: str
    target: str

    def __post_init__(self):
        v.path("bind source", self.source)
        v.path("bind target", self.target)
        if ":" in self.source or ":" in self.target or "," in self.source + self.target:
            raise ValueError("bind paths may not contain ':' or ','")


@dataclass(frozen=True)
class Scratch:
    """A writable, volatile area at ``target`` for tools that write many small files.
    Engines that can mount a tmpfs themselves do (``size_mb``); the others bind
    ``source``, a node-local RAM-backed directory (e.g. Slurm's job_container/tmpfs)."""

    target: str = "/scratch-local"
    size_mb: int = 2048
    source: str | None = None

    def __post_init__(self):
        v.path("scratch target", self.target)
        v.integer("scratch size_mb", self.size_mb, 1, 1 << 22)
        if self.source is not None:
            v.path("scratch source", self.source)

    @property
    def env(self) -> tuple[tuple[str, str], ...]:
        """What tells the programs inside where it is."""
        return ((SCRATCH, self.target), ("TMPDIR", self.target))


@dataclass(frozen=True)
class ContainerLaunch:
    """How to run one command in one image."""

    image: str
    command: tuple[str, ...]
    binds: tuple[Bind, ...] = ()
    # variables set after the image's own environment; never secrets (they are argv)
    env: tuple[tuple[str, str], ...] = ()
    env_allow: tuple[str, ...] = DEFAULT_ENV_ALLOW
    workdir: str | None = None
    mount_home: bool = True
    home: str | None = None  # the user's home on the host (engines that bind it by path)
    user: str | None = None  # whose job it is (per-user engine state, e.g. Podman's store)
    gpus: bool = False  # the Slurm allocation has GPUs: bring the host driver in
    mpi: str = "none"  # "hybrid" or "bind" (see MPI_MODES)
    mpi_binds: tuple[Bind, ...] = ()  # bind mode: the host MPI installation...
    mpi_env: tuple[tuple[str, str], ...] = ()  # ...and e.g. its LD_LIBRARY_PATH
    scratch: Scratch | None = None

    @property
    def allowed_env(self) -> tuple[str, ...]:
        """The host variables let in: the allow-list, plus PMI/MPI ones for MPI jobs."""
        extra = MPI_ENV_ALLOW if self.mpi != "none" else ()
        return tuple(dict.fromkeys((*self.env_allow, *extra)))

    def __post_init__(self):
        image_ref(self.image)
        if self.mpi not in MPI_MODES:
            raise SpecError("mpi", f"{self.mpi!r} is not one of {', '.join(MPI_MODES)}")
        if self.mpi == "bind" and not self.mpi_binds:
            raise SpecError("mpi", "bind mode needs the host MPI paths to bind (mpi_binds)")
        for key, value in self.mpi_env:
            v.env_key("mpi_env", key)
            v.env_value(key, value)
        if self.home is not None:
            v.path("home", self.home)
        if self.user is not None:
            v.username("user", self.user)
        if not self.command:
            raise ValueError("command may not be empty")
        for key, value in self.env:
            v.env_key("env", key)
            v.env_value(key, value)
        for pattern in self.env_allow:
            if not pattern.replace("*", "").replace("_", "").isalnum():
                raise ValueError(f"bad environment pattern {pattern!r}")
        if self.workdir is not None:
            v.path("workdir", self.workdir)


def image_ref(value: object) -> str:
    """An absolute image path, or an image reference without '..'."""
    if isinstance(value, str) and value.startswith("/"):
        return v.path("image", value)
    if not isinstance(value, str) or not _IMAGE_REF.fullmatch(value) or ".." in value:
        raise SpecError("image", f"{value!r} is neither an absolute path nor an image "
                        "reference")
    return value


class ContainerRuntime:
    """Base of all engines. Subclasses set ``name`` and implement ``argv``."""

    name: ClassVar[str] = ""
    executable: str = ""
    # host variables the engine itself needs, on top of the launch's allow-list
    engine_env: ClassVar[tuple[str, ...]] = ()

    def __init__(self, executable: str | None = None, helpers_dir: str | None = None):
        if executable:
            self.executable = executable
        self.helpers_dir = v.path("helpers_dir", helpers_dir) if helpers_dir else HELPERS_DIR

    def helper(self, name: str) -> str:
        """Path of a node-side helper script (one of NODE_HELPERS) on the nodes."""
        return f"{self.helpers_dir.rstrip('/')}/{name}"

    def argv(self, launch: ContainerLaunch) -> list[str]:
        raise NotImplementedError

    def home_inside(self, launch: ContainerLaunch) -> str:
        """Where the container sees the user's home (most engines: at the same path)."""
        if not launch.home:
            raise SpecError("home", f"{self.name} needs the user's home")
        return launch.home

    def _filtered(self, launch: ContainerLaunch, argv: list[str]) -> list[str]:
        return [self.helper("envfilter.sh"), *launch.allowed_env, *self.engine_env, "--", *argv]

    @staticmethod
    def _env(launch: ContainerLaunch) -> list[tuple[str, str]]:
        """Our variables, with MPI's (bind mode's library path included)."""
        mpi = [*MPI_ENV, *(launch.mpi_env if launch.mpi == "bind" else ())] \
            if launch.mpi != "none" else []
        return [*launch.env, *mpi]

    @staticmethod
    def _binds(launch: ContainerLaunch) -> list[Bind]:
        return [*launch.binds, *(launch.mpi_binds if launch.mpi == "bind" else ())]

    def _need_scratch_source(self, launch: ContainerLaunch) -> str:
        if launch.scratch is None or launch.scratch.source is None:
            raise SpecError("scratch", f"{self.name} cannot create a tmpfs itself: give "
                            "the scratch a node-local RAM-backed source directory")
        return launch.scratch.source


_PKG = "funicular.core.containers"
# the built-in engines: their modules are imported when first asked for
ENGINES = Registry("container runtime", {
    "apptainer": Known(f"{_PKG}.apptainer:Apptainer"),
    "charliecloud": Known(f"{_PKG}.charliecloud:Charliecloud"),
    "enroot": Known(f"{_PKG}.enroot:EnrootPyxis"),
    "podman": Known(f"{_PKG}.podman:Podman"),
    "sarus": Known(f"{_PKG}.sarus:Sarus"),
    "shifter": Known(f"{_PKG}.shifter:Shifter"),
    "singularity": Known(f"{_PKG}.apptainer:Singularity"),
})


def register(cls: type[ContainerRuntime]) -> type[ContainerRuntime]:
    """Class decorator: make a site's own engine available by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    ENGINES.register(cls.name, cls, clobber=True)
    return cls


def get_runtime(name: str, **kwargs) -> ContainerRuntime:
    """An engine by name, configured with its options (``executable``, ...)."""
    return ENGINES.get(name)(**kwargs)


def known_runtime(field: str, name: object) -> str:
    """A registered engine's name, or a SpecError naming the field and the choices."""
    if name not in ENGINES:
        raise SpecError(field, f"runtime {name!r} is not one of "
                        f"{', '.join(available_runtimes())}")
    return name


def available_runtimes() -> list[str]:
    return ENGINES.names()
