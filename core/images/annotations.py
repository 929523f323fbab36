"""Reading an image's annotations, whatever its layout.

Charliecloud has no annotation support of its own, so Funicular's images carry the
same key=value set in ``/ch/labels`` (and ``/ch/metadata.json`` "labels", the
Charliecloud shape); OCI layouts carry them as manifest annotations and config
labels.
"""

import json
import pathlib
import subprocess

# the keys Funicular understands (HPC container conformance + OCI)
ARCH = "io.archspec.cpu.target"
LIBC = "org.supercontainers.libc.implementation"
LIBC_VERSION = "org.supercontainers.libc.version"
MPI = "org.supercontainers.mpi.implementation"
MPI_VERSION = "org.supercontainers.mpi.version"
MPI_PMI = "org.supercontainers.mpi.pmi"  # pmix, pmi2: what srun must speak (hybrid mode)
GPU_VENDOR = "org.supercontainers.hardware.gpu.vendor"
GPU_REQUIRED = "org.supercontainers.hardware.gpu.required"
CUDA = "org.supercontainers.hardware.gpu.cuda.version"
TITLE = "org.opencontainers.image.title"
DESCRIPTION = "org.opencontainers.image.description"
VERSION = "org.opencontainers.image.version"
KEYS = (ARCH, LIBC, LIBC_VERSION, MPI, MPI_VERSION, MPI_PMI, GPU_VENDOR, GPU_REQUIRED,
        CUDA, TITLE, DESCRIPTION, VERSION)


def parse_labels(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def _from_charliecloud_dir(root: pathlib.Path) -> dict[str, str]:
    labels: dict[str, str] = {}
    meta = root / "ch/metadata.json"
    if meta.is_file():
        try:
            labels.update(json.loads(meta.read_text()).get("labels") or {})
        except (ValueError, AttributeError):
            pass
    if (root / "ch/labels").is_file():
        labels.update(parse_labels((root / "ch/labels").read_text()))
    return labels


def _from_squashfs(path: pathlib.Path) -> dict[str, str]:
    res = subprocess.run(["unsquashfs", "-cat", str(path), "ch/labels"], capture_output=True,
                         text=True, timeout=30)
    return parse_labels(res.stdout) if res.returncode == 0 else {}


def _from_oci_layout(root: pathlib.Path, tag: str | None) -> dict[str, str]:
    def blob(digest: str) -> dict:
        algo, _, hexd = digest.partition(":")
        return json.loads((root / "blobs" / algo / hexd).read_text())
    index = json.loads((root / "index.json").read_text())
    manifests = index.get("manifests") or []
    chosen = next((m for m in manifests if tag is None or m.get("annotations", {}).get(
        "org.opencontainers.image.ref.name") == tag), None)
    if chosen is None:
        return {}
    manifest = blob(chosen["digest"])
    config = blob(manifest["config"]["digest"])
    labels = dict((config.get("config") or {}).get("Labels") or {})
    labels.update(manifest.get("annotations") or {})
    if "architecture" in config:
        labels.setdefault("org.opencontainers.image.architecture", config["architecture"])
    return labels


def read_annotations(image: str) -> dict[str, str]:
    """The image's annotations; empty when it has none (an unannotated image).
    ``image`` is a Charliecloud directory or SquashFS file, or an OCI layout directory
    optionally followed by ``:TAG``."""
    path, tag = pathlib.Path(image), None
    if not path.exists() and ":" in image:
        base, _, tag = image.rpartition(":")
        path = pathlib.Path(base)
    if path.is_dir() and (path / "index.json").is_file() and (path / "oci-layout").is_file():
        return _from_oci_layout(path, tag)
    if path.is_dir():
        return _from_charliecloud_dir(path)
    if path.is_file() and path.suffix in (".sqfs", ".squashfs"):
        return _from_squashfs(path)
    return {}
