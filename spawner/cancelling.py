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

DELAYS = (2, 5, 15, 30, 60)  # seconds between tries; the last repeats
_tasks: dict[int, asyncio.Task] = {}


def schedule(spawner) -> None:
    """Start the retry task of this spawner, if it has jobs to cancel and none runs."""
    task = _tasks.get(id(spawner))
    if not spawner.pending_cancel or (task is not None and not task.done()):
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # loaded outside a running hub
    key = id(spawner)
    _tasks[key] = task = asyncio.ensure_future(_retry(spawner))
    task.add_done_callback(lambda t: _tasks.pop(key) if _tasks.get(key) is t else None)


async def gone(spawner, job_id: str) -> bool:
    """Whether Slurm says the job no longer holds or waits for an allocation."""
    info = await spawner.status.get(job_id, max_age=0)
    return info is None or not info.active


async def _retry(spawner) -> None:
    tries = 0
    while spawner.pending_cancel:
        await asyncio.sleep(DELAYS[min(tries, len(DELAYS) - 1)])
        tries += 1
        for entry in list(spawner.pending_cancel):
            job_id = entry["job_id"]
            try:
                await spawner.slurm.cancel(job_id, user=spawner.user.name)
                if not await gone(spawner, job_id):
                    continue
            except Exception as e:  # SlurmError, TimeoutError, IdentityError...: again later
                spawner.log.warning("%s: job %s still not cancelled (try %d): %s",
                                    spawner._log_name, job_id, tries, e)
                continue
            spawner.status.unwatch(job_id)
            try:
                await finish(spawner, entry)
            except Exception:  # a server deleted meanwhile: the sweep has the job anyway
                spawner.log.exception("%s: after cancelling job %s", spawner._log_name, job_id)
                return


async def finish(spawner, entry: dict) -> None:
    """The job is gone: its token goes, its env file too if no newer server has it."""
    if entry.get("token_id") != spawner.token_id and entry.get("token_created"):
        # that very token: SQLite reuses the ids of deleted rows
        spawner._revoke_token(entry["token_id"], entry["token_created"])
    if not (spawner.job_id or spawner._starting or spawner.submit_nonce):
        try:
            await spawner._userfile("remove", spawner._env_path())
        except (RuntimeError, TimeoutError) as e:
            spawner.log.warning("%s: %s", spawner._log_name, e)
    spawner.pending_cancel = [e for e in spawner.pending_cancel if e is not entry]
    spawner._save_state()
    spawner.log.info("%s: job %s cancelled after all", spawner._log_name, entry["job_id"])
