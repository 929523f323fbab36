"""How the hub runs a command as another user: argv prefixes, never a shell.

``sudo`` is what sites use for an unprivileged hub (with a sudoers rule for the
Slurm commands); ``runuser`` suits a hub that runs as root; ``none`` is for a hub
that submits only as itself (tests of a single-user setup).
"""

from . import validate as v

METHODS = ("sudo", "runuser", "none")


def as_user(method: str, user: str) -> list[str]:
    v.username("user", user)
    if method == "sudo":
        return ["sudo", "-n", "-H", "-u", user, "--"]
    if method == "runuser":
        return ["runuser", "-u", user, "--"]
    if method == "none":
        return []
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
