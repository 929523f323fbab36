"""Course material in a participant's home: copied at the first start, kept in step
with the instructor's folder afterwards, never over the participant's own work.

Beside the copy, ``.funicular-material.json`` records the SHA-256 of every file as it
was handed out. At each start a file missing from the home is copied; one that still
matches what was handed out is updated if the instructor changed it; one the
participant changed is left alone. ``reset`` moves the whole folder aside (nothing
is deleted) and hands out a pristine copy.
"""

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field

from . import manifest

MANIFEST = ".funicular-material.json"


@dataclass
class Report:
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed by the participant
    moved_to: str | None = None  # where reset put the previous folder


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _files(source: str):
    """Regular files under source, relative; symlinks and hidden files are skipped."""
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.startswith(".") or os.path.islink(path) or not os.path.isfile(path):
                continue
            yield os.path.relpath(path, source)


def _copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = f"{dst}.funicular-tmp"
    shutil.copyfile(src, tmp)
    mode = os.stat(src).st_mode & 0o777
    os.chmod(tmp, (mode | 0o600) & ~0o022)  # the participant's to edit, not others'
    os.replace(tmp, dst)


def sync(source: str, target: str) -> Report:
    if not os.path.isdir(source):
        raise FileNotFoundError(f"the course material {source} is not a folder here")
    os.makedirs(target, exist_ok=True)
    manifest_path = os.path.join(target, MANIFEST)
    handed_out = manifest.load(manifest_path)
    report = Report()
    for rel in _files(source):
        src, dst = os.path.join(source, rel), os.path.join(target, rel)
        new = _sha256(src)
        if not os.path.exists(dst):
            _copy(src, dst)
            report.copied.append(rel)
        else:
            mine = _sha256(dst) if os.path.isfile(dst) else None
            if mine == new:
                pass
            elif mine is not None and mine == handed_out.get(rel):
                _copy(src, dst)  # untouched since handed out: the newer version
                report.updated.append(rel)
            else:
                report.kept.append(rel)
                continue
        handed_out[rel] = new
    manifest.save(manifest_path, handed_out)
    return report


def reset(source: str, target: str) -> Report:
    """The folder as handed out; the previous one moved aside, with a timestamp."""
    moved = None
    if os.path.exists(target):
        moved = f"{target.rstrip('/')}.before-reset-{time.strftime('%Y%m%d-%H%M%S')}"
        os.rename(target, moved)
    report = sync(source, target)
    report.moved_to = moved
    return report
