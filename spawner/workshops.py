"""Workshops: a group of participants, a Slurm reservation and account, one profile,
an image and course material, as the admin configures them.

A participant (a member of the workshop's JupyterHub group) gets the workshop's
profile and nothing else: no choice of partition or size, so that a room of 50 lands
on the reservation with the same, small share of a node each (several servers per
node, within Slurm's limits). The course material is copied into each participant's
home by their server at start (see funicular.core.material).
"""

from dataclasses import dataclass

from funicular.core import validate as v
from funicular.core.errors import SpecError

from .profiles import Profile

_KEYS = {"group", "display_name", "partition", "cpus", "memory_mb", "gpus", "minutes",
         "image", "account", "reservation", "qos", "runtime", "material", "material_dir",
         "instructors"}


@dataclass(frozen=True)
class Workshop:
    name: str
    group: str  # the JupyterHub group of its participants
    profile: Profile  # what every participant's server gets
    material: str | None = None  # a folder on the hub host, copied into homes
    material_dir: str = ""  # where, relative to the home (default: the workshop's name)
    instructors: str | None = None  # the JupyterHub group that may run the workshop

    @classmethod
    def from_config(cls, name: str, raw: dict, images: dict) -> "Workshop":
        v.name("workshop name", name)
        if not isinstance(raw, dict):
            raise SpecError(f"workshop {name!r}", "must be a dict")
        unknown = set(raw) - _KEYS
        if unknown:
            raise SpecError(f"workshop {name!r}", f"unknown keys {sorted(unknown)}")
        for key in ("group", "reservation"):
            if not raw.get(key):
                raise SpecError(f"workshop {name!r}", f"{key!r} is required")
        group = v.name(f"workshop {name!r} group", raw["group"])
        material = raw.get("material")
        if material is not None:
            v.path(f"workshop {name!r} material", material)
        material_dir = raw.get("material_dir", name)
        if not material_dir or material_dir.startswith("/") or ".." in material_dir.split("/"):
            raise SpecError(f"workshop {name!r}", f"material_dir {material_dir!r} must be a "
                            "relative path inside the home")
        instructors = raw.get("instructors")
        if instructors is not None:
            v.name(f"workshop {name!r} instructors", instructors)
        profile = Profile.from_config(
            {"name": f"workshop-{name}",
             "display_name": raw.get("display_name", f"Workshop {name}"),
             **{k: raw[k] for k in ("partition", "cpus", "memory_mb", "gpus", "minutes",
                                    "image", "account", "reservation", "qos", "runtime")
                if k in raw}}, images)
        return cls(name=name, group=group, profile=profile, material=material,
                   material_dir=material_dir, instructors=instructors)


def load_workshops(raw: dict, images: dict) -> dict[str, Workshop]:
    return {name: Workshop.from_config(name, cfg, images) for name, cfg in raw.items()}


def workshop_of(workshops: dict[str, Workshop], groups: list[str]) -> Workshop | None:
    """The workshop a user takes part in (the first, in the admin's order)."""
    mine = set(groups)
    return next((w for w in workshops.values() if w.group in mine), None)
