"""The admin's image catalog: names users pick, with what each image says it needs."""

from dataclasses import dataclass, field

from ..containers.base import known_runtime
from ..errors import SpecError
from ..validate import name as valid_name
from .annotations import ARCH, CUDA, GPU_REQUIRED, MPI, MPI_VERSION, read_annotations


@dataclass(frozen=True)
class CatalogImage:
    name: str
    path: str
    description: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    runtime: str | None = None  # the engine this image is for, if only one can run it

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
    "annotations": {...}, "runtime": ..., "annotations_from": ...}}``.

    ``path`` is what the engine runs: a directory, a SquashFS file, or a reference
    such as ``localhost/funicular/notebook:latest`` in a Podman store. Annotations
    are read from ``path``, or from ``annotations_from`` (e.g. the OCI layout a
    store was filled from) when ``path`` is a reference; those given here win.
    ``runtime`` ties the image to one engine (a store reference means nothing to
    ch-run): choosing the image then chooses the engine."""
    out = {}
    for key, value in (raw or {}).items():
        valid_name("image name", key)
        if isinstance(value, str):
            value = {"path": value}
        if not isinstance(value, dict) or not isinstance(value.get("path"), str):
            raise SpecError(f"image {key!r}", "must be a path or a dict with 'path'")
        unknown = set(value) - {"path", "description", "annotations", "runtime",
                                "annotations_from"}
        if unknown:
            raise SpecError(f"image {key!r}", f"unknown keys {sorted(unknown)}")
        runtime = value.get("runtime")
        if runtime is not None:
            known_runtime(f"image {key!r}", runtime)
        source = value.get("annotations_from") or value["path"]
        ann = {**read_annotations(source), **(value.get("annotations") or {})}
        out[key] = CatalogImage(key, value["path"], str(value.get("description", "")), ann,
                                runtime)
    return out
