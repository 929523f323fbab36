"""The admin's image catalog: names users pick, with what each image says it needs."""

from dataclasses import dataclass, field

from ..errors import SpecError
from ..validate import name as valid_name
from .annotations import ARCH, CUDA, GPU_REQUIRED, MPI, MPI_VERSION, read_annotations


@dataclass(frozen=True)
class CatalogImage:
    name: str
    path: str
    description: str = ""
    annotations: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """A short line for the spawn form and the CLI."""
        a = self.annotations
        bits = [a.get(ARCH) and f"CPU {a[ARCH]}",
                a.get(MPI) and a[MPI] != "none" and
                f"MPI {a[MPI]} {a.get(MPI_VERSION, '')}".strip(),
                a.get(CUDA) and f"CUDA {a[CUDA]}",
                a.get(GPU_REQUIRED, "").lower() in ("true", "yes", "1") and "needs a GPU"]
        return ", ".join(b for b in bits if b)


def load_catalog(raw: dict) -> dict[str, CatalogImage]:
    """``{"name": "/path"}`` or ``{"name": {"path": ..., "description": ...,
    "annotations": {...}}}``; annotations given here override the image's own."""
    out = {}
    for key, value in (raw or {}).items():
        valid_name("image name", key)
        if isinstance(value, str):
            value = {"path": value}
        if not isinstance(value, dict) or not isinstance(value.get("path"), str):
            raise SpecError(f"image {key!r}", "must be a path or a dict with 'path'")
        unknown = set(value) - {"path", "description", "annotations"}
        if unknown:
            raise SpecError(f"image {key!r}", f"unknown keys {sorted(unknown)}")
        ann = {**read_annotations(value["path"]), **(value.get("annotations") or {})}
        out[key] = CatalogImage(key, value["path"], str(value.get("description", "")), ann)
    return out
