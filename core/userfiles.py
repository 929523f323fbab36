"""``python -m funicular.core.userfiles ACTION PATH``: file work the hub does *as the user*.

The hub needs three things in a user's home: write a server's private env file, remove
it, and read the end of a job log. Doing them in a helper that runs as the user (via
sudo or runuser) makes a root hub and an unprivileged hub behave the same, and limits
every action to paths inside that user's own home.

  write PATH   content on stdin, KEY=VALUE lines -> PATH (0600, parents 0700), atomically
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

from . import envfile
from . import validate as v

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
    v.path("path", path)
    real = os.path.realpath(os.path.dirname(path))
    if os.path.commonpath([home, real]) != home:
        raise SystemExit(f"refusing to touch {path}: not inside {home}")
    return path


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    actions = ("write", "remove", "tail", "material-sync", "material-reset")
    if len(args) != 2 or args[0] not in actions:
        raise SystemExit(f"usage: python -m funicular.core.userfiles {'|'.join(actions)} PATH")
    action, path = args[0], _inside_home(args[1])
    if action.startswith("material-"):
        from . import coursematerial as material
        os.umask(0o022)  # course files as a home's files usually are
        source = v.path("material", sys.stdin.read().strip())
        report = (material.sync if action == "material-sync" else material.reset)(source, path)
        json.dump(dataclasses.asdict(report), sys.stdout)
        return
    os.umask(0o077)
    if action == "write":
        content = sys.stdin.read()
        envfile.parse(content)  # must be KEY=VALUE lines
        write_private(path, content)
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
