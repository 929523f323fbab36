"""Running commands: argv lists only, with a timeout that really ends them.

Each command starts in a session of its own. On timeout (or cancellation) its whole
process group gets SIGTERM, then SIGKILL after ``grace`` seconds: ``sudo`` and
``runuser`` pass SIGTERM on to the command they run as the user, which the hub may
not signal itself. The pipes are then closed without reading them to the end, as a
child that outlived its parent (or ignored the signals) may hold them open for ever.
"""

import asyncio
import contextlib
import os
import signal
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

GRACE = 2.0  # seconds between SIGTERM and SIGKILL


async def run(argv: list[str], *, stdin: bytes | None = None, timeout: float = 30,
              env: dict[str, str] | None = None, grace: float = GRACE) -> Result:
    """Run argv; a command that outlives ``timeout`` is ended and raises TimeoutError
    within about ``timeout + 2 * grace`` seconds, whatever its children do."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(BASE_ENV if env is None else env),
        cwd="/",
        start_new_session=True,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except BaseException:  # TimeoutError, CancelledError, KeyboardInterrupt
        await asyncio.shield(_end(proc, grace))
        raise
    return Result(tuple(argv), proc.returncode, out.decode(errors="replace"),
                  err.decode(errors="replace"))


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the session leader's pid is its group's id


async def _exited(proc: asyncio.subprocess.Process, seconds: float) -> bool:
    """Whether the direct child has exited within ``seconds`` (not its pipes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while proc.returncode is None and loop.time() < deadline:
        await asyncio.sleep(0.02)
    return proc.returncode is not None


async def _end(proc: asyncio.subprocess.Process, grace: float) -> None:
    """TERM, then KILL, the whole group; then drop the pipes unread."""
    if proc.returncode is None:
        _signal_group(proc.pid, signal.SIGTERM)
        if not await _exited(proc, grace):
            _signal_group(proc.pid, signal.SIGKILL)
            await _exited(proc, grace)
    # whatever is left of the group (children that ignored TERM) goes too
    _signal_group(proc.pid, signal.SIGKILL)
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


def which_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """BASE_ENV plus ``extra``; SLURM_CONF is kept so sites with a non-default config work."""
    env = dict(BASE_ENV)
    if "SLURM_CONF" in os.environ:
        env["SLURM_CONF"] = os.environ["SLURM_CONF"]
    env.update(extra or {})
    return env
