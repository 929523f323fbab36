"""How the hub runs a command as another user: argv prefixes, never a shell.

``sudo`` is what sites use for an unprivileged hub (with a sudoers rule for the
Slurm commands); ``runuser`` suits a hub that runs as root; ``none`` is for a hub
that submits only as itself (tests of a single-user setup). Whatever the method, the
user is checked against the identity policy first: no command runs as a system
account.
"""

from .identity import DEFAULT, Policy

METHODS = ("sudo", "runuser", "none")


def as_user(method: str, user: str, policy: Policy = DEFAULT) -> list[str]:
    policy.check(user)
    if method == "sudo":
        return ["sudo", "-n", "-H", "-u", user, "--"]
    if method == "runuser":
        return ["runuser", "-u", user, "--"]
    if method == "none":
        return []
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
