"""Running commands: argv lists only, with a timeout and captured output."""

import asyncio
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


# A minimal, predictable environment for commands the hub runs: the hub's own
# environment (VIRTUAL_ENV, PIP_*, tokens of its services) must not leak into jobs.
BASE_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}


async def run(argv: list[str], *, stdin: bytes | None = None, timeout: float = 30,
              env: dict[str, str] | None = None) -> Result:
    """Run argv; a command that outlives ``timeout`` is killed and raises TimeoutError."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(BASE_ENV if env is None else env),
        cwd="/",
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except (TimeoutError, asyncio.CancelledError):
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    return Result(tuple(argv), proc.returncode, out.decode(errors="replace"),
                  err.decode(errors="replace"))


def which_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """BASE_ENV plus ``extra``; SLURM_CONF is kept so sites with a non-default config work."""
    env = dict(BASE_ENV)
    if "SLURM_CONF" in os.environ:
        env["SLURM_CONF"] = os.environ["SLURM_CONF"]
    env.update(extra or {})
    return env
