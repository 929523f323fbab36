"""Workshops: a group of participants, a Slurm reservation and account, one profile,
an image and course material, as the admin configures them.

A participant (a member of the workshop's JupyterHub group) gets the workshop's
profile and nothing else: no choice of partition or size, so that a room of 50 lands
on the reservation with the same, small share of a node each (several servers per
node, within Slurm's limits). The course material is copied into each participant's
home at start (see funicular.core.coursematerial), from a folder or from the hub's copy of
an object-store prefix (spawner/materialsource.py).
"""

from dataclasses import dataclass

from funicular.core import validate as v
from funicular.core.errors import SpecError
from funicular.core.storage.location import Location, parse

from .profiles import Profile

_KEYS = {"group", "display_name", "partition", "cpus", "memory_mb", "gpus", "minutes",
         "image", "account", "reservation", "qos", "runtime", "material", "material_dir",
         "material_owner", "instructors"}


@dataclass(frozen=True)
class Workshop:
    name: str
    group: str  # the JupyterHub group of its participants
    profile: Profile  # what every participant's server gets
    material: str | None = None  # a folder on the hub host, or an object-store prefix
    material_dir: str = ""  # where, relative to the home (default: the workshop's name)
    instructors: str | None = None  # the JupyterHub group that may run the workshop
    material_owner: str | None = None  # whose store credentials read a prefix

    @property
    def material_location(self) -> Location | None:
        """The object-store prefix the material comes from; None for a folder."""
        if self.material is None or "://" not in self.material:
            return None
        return parse(self.material, "material")

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
        material, owner = raw.get("material"), raw.get("material_owner")
        if isinstance(material, str) and "://" in material:
            loc = parse(material, f"workshop {name!r} material")
            if not loc.is_object_store or not loc.container:
                raise SpecError(f"workshop {name!r}", f"material {material!r}: a folder, or "
                                "swift://container/prefix/ or s3://bucket/prefix/")
            if not owner:
                raise SpecError(f"workshop {name!r}", "material in object storage needs "
                                "'material_owner', the hub user whose credentials read it")
        elif material is not None:
            v.path(f"workshop {name!r} material", material)
        if owner is not None:
            v.username(f"workshop {name!r} material_owner", owner)
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
                   material_dir=material_dir, instructors=instructors, material_owner=owner)


def load_workshops(raw: dict, images: dict) -> dict[str, Workshop]:
    return {name: Workshop.from_config(name, cfg, images) for name, cfg in raw.items()}


def workshop_of(workshops: dict[str, Workshop], groups: list[str]) -> Workshop | None:
    """The workshop a user takes part in (the first, in the admin's order)."""
    mine = set(groups)
    return next((w for w in workshops.values() if w.group in mine), None)
