"""A local copy of an object-store prefix, kept in step with it.

Course material that an instructor keeps in object storage: the hub fetches the
prefix once into a folder of its own, and every participant's start copies from that
folder (funicular.core.coursematerial), so a room of 50 costs the store one listing, not
fifty downloads. Each object comes through the transfer engine (checksum-verified,
written under a hidden name and renamed); ``.funicular-mirror.json`` remembers the
ETag of every file, so an unchanged object is not fetched again and one deleted from
the store goes from the folder too.
"""

import os
from dataclasses import dataclass, field

from .. import manifest
from . import filesystem
from .credentials import StoreCredentials
from .journal import Transfer
from .location import Location
from .transfer import run

MANIFEST = ".funicular-mirror.json"


@dataclass
class MirrorReport:
    fetched: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def _relative(key: str, prefix: str) -> str | None:
    """The object's path below the prefix, or None for what a folder cannot hold or
    the material does not hand out (folder markers, hidden names, '..')."""
    rel = key[len(prefix):]
    parts = rel.split("/")
    if not rel or rel.endswith("/") or any(p in ("", ".", "..") or p.startswith(".")
                                          for p in parts):
        return None
    return rel


def listing(prefix: Location, creds: StoreCredentials) -> dict[str, str]:
    """{path below the prefix: the object's version tag} for every object under it."""
    if not prefix.is_object_store or not prefix.container:
        raise ValueError(f"{prefix} is not a container or a prefix in an object store")
    key = prefix.prefix
    fs = filesystem(prefix.scheme, creds)
    found = fs.find(f"{prefix.container}/{key}", detail=True)
    out = {}
    for path, info in found.items():
        if info.get("type") != "file":
            continue
        rel = _relative(path.partition("/")[2], key)
        if rel is not None:
            tag = str(info.get("etag") or info.get("ETag") or "").strip('"')
            out[rel] = tag or f"{info.get('size')}:{info.get('LastModified') or ''}"
    return out


def mirror(prefix: Location, target: str, creds: StoreCredentials) -> MirrorReport:
    """Brings ``target`` in step with the objects under ``prefix``. Raises
    RuntimeError naming the object that could not be fetched; what was fetched
    before it stays and is not fetched again."""
    objects = listing(prefix, creds)
    _folders(target, "")
    manifest_path = os.path.join(target, MANIFEST)
    have = manifest.load(manifest_path)
    report = MirrorReport()
    try:
        for rel, tag in sorted(objects.items()):
            path = os.path.join(target, rel)
            if have.get(rel) == tag and os.path.isfile(path):
                report.unchanged += 1
                continue
            _folders(target, os.path.dirname(rel))
            t = run(Transfer.new(str(prefix.child(rel)), f"file://{path}"), creds,
                    durable=False)
            if t.state != "done":
                raise RuntimeError(f"{prefix.child(rel)}: {t.error or t.state}")
            os.chmod(path, 0o644)  # read by every participant's copy
            have[rel] = tag
            report.fetched.append(rel)
        for rel in sorted(set(have) - set(objects)):
            _remove(target, rel)
            del have[rel]
            report.removed.append(rel)
    finally:
        manifest.save(manifest_path, have)
    return report


def _folders(target: str, rel: str) -> None:
    """``target/rel`` and the folders on the way, open to every participant whatever
    the hub's umask."""
    parts = rel.split("/") if rel else []
    for i in range(len(parts) + 1):
        path = os.path.join(target, *parts[:i])
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o755)


def _remove(target: str, rel: str) -> None:
    """The file, and the folders it leaves empty (up to ``target``)."""
    try:
        os.remove(os.path.join(target, rel))
    except FileNotFoundError:
        pass
    folder = os.path.dirname(rel)
    while folder:
        try:
            os.rmdir(os.path.join(target, folder))
        except OSError:  # not empty, or gone
            return
        folder = os.path.dirname(folder)
