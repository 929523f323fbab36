"""KEY=VALUE environment files: how secrets reach a job without argv or scripts.

The hub writes one such file per server (mode 0600, owned by the user, in a 0700
directory under the user's home); the container engine reads it. Writing happens
in a helper process that runs *as the user* (``python -m funicular.core.envfile``)
with the content on stdin, so the same code works for a root hub and for an
unprivileged hub that uses sudo.
"""

import os
import pwd
import sys
import tempfile

from . import validate as v


def render(env: dict[str, str]) -> str:
    lines = []
    for key, value in sorted(env.items()):
        v.env_key("environment", key)
        v.env_value(key, value)
        lines.append(f"{key}={value}\n")
    return "".join(lines)


def parse(text: str) -> dict[str, str]:
    env = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env


def read(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return parse(f.read())


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


def _inside_home(path: str) -> str:
    # the passwd entry, not $HOME: runuser keeps the caller's HOME
    home = os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir)
    v.path("env file", path)
    real = os.path.realpath(os.path.dirname(path))
    if os.path.commonpath([home, real]) != home:
        raise SystemExit(f"refusing to touch {path}: not inside {home}")
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m funicular.core.envfile write|remove PATH`` (content on stdin)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in ("write", "remove"):
        raise SystemExit("usage: python -m funicular.core.envfile write|remove PATH")
    os.umask(0o077)
    path = _inside_home(args[1])
    if args[0] == "write":
        content = sys.stdin.read()
        parse(content)  # must be KEY=VALUE lines
        write_private(path, content)
    else:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()
