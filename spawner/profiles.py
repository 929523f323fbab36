"""Admin-defined spawn profiles: named, validated resource sets users pick from."""

from dataclasses import dataclass

from funicular.core import validate as v
from funicular.core.batchjob import Resources
from funicular.core.containers.base import known_runtime
from funicular.core.errors import SpecError

# what a profile's job is: its resources, its image (a catalog name) and its engine;
# also the keys of a profile_list's ``server_job`` (profilelist.py)
JOB_KEYS = ("partition", "nodes", "cpus", "memory_mb", "gpus", "minutes", "image", "account",
            "reservation", "qos", "runtime")
_KEYS = {"name", "display_name", *JOB_KEYS}


def hours(minutes: int | None) -> str:
    """A walltime in words: "2 h", "90 min", "no limit"."""
    if minutes is None:
        return "no limit"
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


@dataclass(frozen=True)
class Profile:
    name: str
    display_name: str
    resources: Resources
    image: str  # a name from the spawner's image catalog
    runtime: str | None = None  # container engine for this profile; None: the site default

    @property
    def summary(self) -> str:
        """What the job gets, in one line of the spawn form."""
        r = self.resources
        parts = [f"partition {r.partition}", f"{r.nodes} node(s)" if r.nodes > 1 else "",
                 f"{r.cpus} CPU(s)", f"{r.memory_mb} MB" if r.memory_mb else "",
                 f"{r.gpus} GPU(s)" if r.gpus else "", hours(r.minutes),
                 f"account {r.account}" if r.account else "",
                 f"reservation {r.reservation}" if r.reservation else "", f"image {self.image}"]
        return " · ".join(x for x in parts if x)

    @classmethod
    def from_config(cls, raw: dict, images: dict[str, str]) -> "Profile":
        if not isinstance(raw, dict):
            raise SpecError("profiles", f"each profile must be a dict, got {raw!r}")
        unknown = set(raw) - _KEYS
        if unknown:
            raise SpecError(f"profile {raw.get('name')!r}", f"unknown keys {sorted(unknown)}")
        name = v.name("profile name", raw.get("name"))
        image = raw.get("image")
        if image not in images:
            raise SpecError(f"profile {name!r}",
                            f"image {image!r} is not in the image catalog {sorted(images)}")
        runtime = raw.get("runtime")
        if runtime is not None:
            known_runtime(f"profile {name!r}", runtime)
        own = images[image].get("runtime") if isinstance(images[image], dict) else None
        if runtime and own and runtime != own:
            raise SpecError(f"profile {name!r}", f"runtime {runtime!r}, but image {image!r} "
                            f"is for {own!r}")
        runtime = runtime or own
        if not raw.get("partition"):
            raise SpecError(f"profile {name!r}", "'partition' is required")
        res = Resources(**{k: raw[k] for k in _KEYS - {"name", "display_name", "image",
                                                       "runtime"} if k in raw})
        return cls(name=name, display_name=str(raw.get("display_name", name)), resources=res,
                   image=image, runtime=runtime)


def load_profiles(raw_profiles: list, images: dict[str, str]) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    for raw in raw_profiles:
        p = Profile.from_config(raw, images)
        if p.name in profiles:
            raise SpecError("profiles", f"profile name {p.name!r} is used twice")
        profiles[p.name] = p
    if not profiles:
        raise SpecError("profiles", "at least one profile must be configured")
    return profiles
