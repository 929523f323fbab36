"""``python -m funicular.core.userfiles ACTION PATH``: file work the hub does *as the user*.

The hub needs a few things in a user's home: write a server's private files (its env
file, its TLS key and certificates), bring a workshop's course material in, remove the
env file, read the end of a job log. Doing them in a helper that runs as the user (via
sudo or runuser) makes a root hub and an unprivileged hub behave the same, and limits
every action to paths inside that user's own home (the parent's real path is checked).
A start needs one helper process, not one per file: ``prepare`` does all of its work.

  prepare -    JSON on stdin: {"files": [[PATH, CONTENT], ...], "material": [SOURCE,
               TARGET] or null}; each file -> PATH (0600, parents 0700), atomically; a
               file named "env" must be KEY=VALUE lines; then the course material as
               material-sync does it. JSON on stdout: {"material": REPORT or null,
               "material_error": TEXT or null} (a material failure is reported, the
               files are written all the same)
  write PATH   content on stdin -> PATH (0600, parents 0700), atomically
  remove PATH  delete PATH if it exists
  tail PATH    print at most the last 8 KiB / 40 lines of PATH
  material-sync PATH, material-reset PATH
               a workshop's course material (its folder on stdin) into PATH, as
               funicular.core.coursematerial does it; the report as JSON on stdout
"""

import dataclasses
import json
import os
import pwd
import sys
import tempfile

from . import validate as v
from .errors import SpecError

TAIL_BYTES = 8192
TAIL_LINES = 40


def write_private(path: str, content: str) -> None:
    """Atomically write ``content`` to ``path`` (0600), creating parents with 0700."""
    parent = os.path.dirname(path)
    os.makedirs(parent, mode=0o700, exist_ok=True)
    os.chmod(parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=".env-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(content)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def tail(path: str, max_bytes: int = TAIL_BYTES, max_lines: int = TAIL_LINES) -> str:
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - max_bytes))
        data = f.read().decode("utf-8", errors="replace")
    return "\n".join(data.splitlines()[-max_lines:])


def _inside_home(path: str) -> str:
    # the passwd entry, not $HOME: runuser keeps the caller's HOME
    home = os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir)
    try:
        v.path("path", path)
    except SpecError as e:
        raise SystemExit(f"refusing to touch {path!r}: {e}") from None
    real = os.path.realpath(os.path.dirname(path))
    if os.path.commonpath([home, real]) != home:
        raise SystemExit(f"refusing to touch {path}: not inside {home}")
    return path


def check_env(path: str, content: str) -> None:
    """An env file holds KEY=VALUE lines and nothing else: a stray line would be
    skipped by the reader, so a mistake here is refused rather than lost."""
    for number, line in enumerate(content.split("\n"), 1):
        key, sep, _ = line.partition("=")
        if line and not (sep and v.is_env_key(key)):
            raise SystemExit(f"{path}: line {number} is not KEY=VALUE")


def material(action: str, source: str, target: str) -> dict:
    from . import coursematerial

    os.umask(0o022)  # course files as a home's files usually are
    fn = coursematerial.sync if action == "material-sync" else coursematerial.reset
    try:
        return dataclasses.asdict(fn(v.path("material", source), target))
    finally:
        os.umask(0o077)


def prepare(request: dict) -> dict:
    """A start's work in the home, in one process: files first, then the material."""
    files = [(_inside_home(path), content) for path, content in request.get("files") or []]
    for path, content in files:
        if os.path.basename(path) == "env":
            check_env(path, content)
    for path, content in files:
        write_private(path, content)
    out = {"material": None, "material_error": None}
    if request.get("material"):
        source, target = request["material"]
        try:
            out["material"] = material("material-sync", source, _inside_home(target))
        except (OSError, ValueError, SystemExit) as e:
            out["material_error"] = str(e)
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.umask(0o077)
    if args == ["prepare", "-"]:
        json.dump(prepare(json.load(sys.stdin)), sys.stdout)
        return
    actions = ("write", "remove", "tail", "material-sync", "material-reset")
    if len(args) != 2 or args[0] not in actions:
        raise SystemExit("usage: python -m funicular.core.userfiles "
                         f"{'|'.join(actions)} PATH | prepare -")
    action, path = args[0], _inside_home(args[1])
    if action.startswith("material-"):
        json.dump(material(action, sys.stdin.read().strip(), path), sys.stdout)
        return
    if action == "write":
        write_private(path, sys.stdin.read())
    elif action == "remove":
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    else:
        try:
            sys.stdout.write(tail(path))
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
