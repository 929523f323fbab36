"""A stop that cannot cancel keeps the job, and tries again until it is gone.

JupyterHub clears a spawner's state after ``stop()``, whatever happened: a job whose
``scancel`` failed (controller unreachable, timeout) would run on untracked. Such
a job goes into ``pending_cancel`` (which survives ``clear_state`` and hub
restarts) with its server's token id; a task retries the cancel with back-off,
and once Slurm no longer lists the job active, revokes that token and removes the
env file (unless a newer server of the same name uses it). The orphan sweep
(``orphans.py``) cancels the job too, as it is known to no spawner any more.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

DELAYS = (2, 5, 15, 30, 60)  # seconds between tries; the last repeats

_tasks: dict[object, asyncio.Task] = {}


@dataclass(frozen=True)
class Retry:
    """What the retry needs of the server whose stop could not cancel."""

    pending: Callable[[], list]  # its pending_cancel entries, as they are now
    cancel: Callable[[str], Awaitable[None]]  # scancel as the user
    gone: Callable[[str], Awaitable[bool]]  # Slurm no longer lists the job active
    finish: Callable[[dict], Awaitable[None]]  # token, env file, state: the job is gone
    log: Callable[[str], None]  # a warning in the hub's log


def schedule(key: object, retry: Retry) -> None:
    """Start the retry task for ``key`` (a server), if it has jobs to cancel and none
    runs already."""
    task = _tasks.get(key)
    if not retry.pending() or (task is not None and not task.done()):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # loaded outside a running hub
    _tasks[key] = task = asyncio.ensure_future(_retry(retry))
    task.add_done_callback(lambda t: _tasks.pop(key) if _tasks.get(key) is t else None)


async def _retry(retry: Retry) -> None:
    tries = 0
    while retry.pending():
        await asyncio.sleep(DELAYS[min(tries, len(DELAYS) - 1)])
        tries += 1
        for entry in list(retry.pending()):
            job_id = entry["job_id"]
            try:
                await retry.cancel(job_id)
                if not await retry.gone(job_id):
                    continue
            except Exception as e:  # SlurmError, TimeoutError, IdentityError...: again later
                retry.log(f"job {job_id} still not cancelled (try {tries}): {e}")
                continue
            try:
                await retry.finish(entry)
            except Exception as e:  # a server deleted meanwhile: the sweep has the job anyway
                retry.log(f"after cancelling job {job_id}: {e!r}")
                return
