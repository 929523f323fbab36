#!/usr/bin/env python3
"""Write an OCI image layout from a Charliecloud directory image, without a registry.

Layers are uncompressed tars (an OCI media type every tool reads) so writing one is
a plain copy; a layer already in the cache (same content, same digest) is hard-linked,
and Podman's store, which keys layers by digest, imports it only once. The notebook
image uses two layers: its dependency stage (changes rarely) and what the final stage
added on top of it (Funicular's wheel, the labels: small).

    oci.py layer DIR OUT.tar [--base BASEDIR]   # DIR's tree, or only what differs from BASEDIR
    oci.py layout LAYOUT TAG IMAGEDIR L1.tar [L2.tar...]

``layout`` takes the environment from IMAGEDIR/ch/environment and the labels (the
conformance keys) from IMAGEDIR/ch/labels, as config labels and manifest annotations.
Standard library only: it runs with the host's python3.
"""

import hashlib
import json
import os
import pathlib
import platform
import shutil
import stat
import sys
import tarfile

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64le"}


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    """Unchanged since the base: the same hard-linked file, or an equal dir/link."""
    if stat.S_IFMT(a.st_mode) != stat.S_IFMT(b.st_mode):
        return False
    if stat.S_ISREG(a.st_mode):
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)
    return (a.st_mode, a.st_mtime_ns, a.st_size) == (b.st_mode, b.st_mtime_ns, b.st_size)


def _root_owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def write_layer(tree: pathlib.Path, out: pathlib.Path, base: pathlib.Path | None = None) -> None:
    """A layer tar of ``tree``, or of what differs from ``base`` (with whiteouts for
    what was removed). Device nodes are left out: engines bring their own /dev."""
    tmp = out.with_name(out.name + ".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(tree):
            dirnames.sort()
            rel = pathlib.Path(dirpath).relative_to(tree)
            if rel.parts[:1] == ("dev",):
                dirnames.clear()
                filenames = []
            for name in sorted(dirnames + filenames):
                path, relpath = pathlib.Path(dirpath) / name, rel / name
                st = path.lstat()
                if base is not None:
                    try:
                        if _same(st, (base / relpath).lstat()):
                            continue
                    except FileNotFoundError:
                        pass
                tar.add(path, arcname=str(relpath), recursive=False, filter=_root_owned)
            if base is not None and (base / rel).is_dir():
                present = set(dirnames) | set(filenames)
                for gone in sorted(set(os.listdir(base / rel)) - present):
                    tar.addfile(_root_owned(tarfile.TarInfo(str(rel / f".wh.{gone}"))))
    tmp.rename(out)


def _digest(path: pathlib.Path) -> str:
    """sha256 of a file, remembered next to it (layer tars are immutable once written)."""
    memo = path.with_name(path.name + ".sha256")
    if memo.is_file() and memo.stat().st_mtime_ns >= path.stat().st_mtime_ns:
        return memo.read_text().strip()
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    memo.write_text(h.hexdigest())
    return h.hexdigest()


def _put_blob(layout: pathlib.Path, data: bytes | pathlib.Path) -> dict:
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}
    digest = _digest(data)
    target = blobs / digest
    if not target.exists():
        try:
            os.link(data, target)
        except OSError:
            shutil.copyfile(data, target)
    return {"digest": f"sha256:{digest}", "size": data.stat().st_size}


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not line.lstrip().startswith("#"):
            out[key.strip()] = value.strip()
    return out


def write_layout(layout: pathlib.Path, tag: str, image: pathlib.Path,
                 layers: list[pathlib.Path]) -> None:
    def read(name: str) -> str:
        p = image / "ch" / name
        return p.read_text() if p.is_file() else ""

    env, labels = _pairs(read("environment")), _pairs(read("labels"))
    layer_descs = [{"mediaType": LAYER_TYPE, **_put_blob(layout, p)} for p in layers]
    config = {
        "architecture": ARCH.get(platform.machine(), platform.machine()), "os": "linux",
        "created": labels.get("org.opencontainers.image.created", "1970-01-01T00:00:00Z"),
        "config": {"Env": [f"{k}={v}" for k, v in env.items()], "Labels": labels,
                   "WorkingDir": "/"},
        # uncompressed layers: the diff id is the layer's own digest
        "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in layer_descs]},
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   **_put_blob(layout, cfg)},
        "layers": layer_descs, "annotations": labels,
    }
    man = _put_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **man,
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    (layout / "index.json").write_text(json.dumps(index, sort_keys=True))


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "layer":
        base = None
        if len(argv) == 5 and argv[3] == "--base":
            base = pathlib.Path(argv[4])
        elif len(argv) != 3:
            return _usage()
        write_layer(pathlib.Path(argv[1]), pathlib.Path(argv[2]), base)
        return 0
    if len(argv) >= 5 and argv[0] == "layout":
        write_layout(pathlib.Path(argv[1]), argv[2], pathlib.Path(argv[3]),
                     [pathlib.Path(p) for p in argv[4:]])
        return 0
    return _usage()


def _usage() -> int:
    print(__doc__.split("\n\n")[2], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
