"""KEY=VALUE environment files: how secrets reach a job without argv or scripts.

The hub writes one such file per server (mode 0600, owned by the user, in a 0700
directory under the user's home, see ``userfiles``); ``funicular-singleuser`` reads it
inside the job.
"""

from . import validate as v


def render(env: dict[str, str]) -> str:
    lines = []
    for key, value in sorted(env.items()):
        v.env_key("environment", key)
        v.env_value(key, value)
        lines.append(f"{key}={value}\n")
    return "".join(lines)


def parse(text: str) -> dict[str, str]:
    """One variable a line, lines ending in "\\n" only (str.splitlines() would also end
    them at \\r, \\v, \\f, \\x1c-\\x1e, \\x85, \\u2028 and \\u2029: a value could then
    add a variable)."""
    env = {}
    for line in text.split("\n"):
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key] = value
    return env


def read(path: str) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        return parse(f.read())
