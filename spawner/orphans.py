"""Cancel notebook jobs this hub started but no longer knows about.

A hub that dies between ``sbatch`` returning and the job id reaching its database
leaves a job that nobody will ever stop: an orphaned allocation. Once per hub
process, after start-up, every active job carrying this hub's marker (job name
prefix and comment) that was submitted *before* the process started and appears in
no spawner's state is cancelled, as its owner.
"""

import asyncio
import logging
import time

from jupyterhub import orm

from funicular.core.errors import SlurmError

from .reattach import _wait_for_hub

log = logging.getLogger("funicular.spawner")

PROCESS_START = time.time()
_swept: set[str] = set()
_tasks: set[asyncio.Task] = set()


def schedule_sweep(spawner) -> None:
    prefix = spawner.job_name_prefix
    if prefix in _swept:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # not inside a running hub
    _swept.add(prefix)
    task = asyncio.ensure_future(_sweep(spawner.user.settings.get("proxy"), spawner._session,
                                        spawner.slurm, prefix))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _known_job_ids(session) -> set[str]:
    known = set()
    for (state,) in session.query(orm.Spawner.state):
        for key in ("job_id", "adopt_job_id"):
            if state and state.get(key):
                known.add(str(state[key]))
    return known


async def _sweep(proxy, session, slurm, prefix: str) -> list[str]:
    if proxy is not None:
        await _wait_for_hub(proxy)
    try:
        jobs = await slurm.active_jobs()
    except SlurmError as e:
        log.warning("orphan sweep: cannot list jobs: %s", e)
        return []
    known = _known_job_ids(session)
    cancelled = []
    for job in jobs:
        if not job.name.startswith(f"{prefix}-") or \
                not job.comment.startswith(f"funicular {prefix} "):
            continue
        before_us = job.submitted is not None and job.submitted < PROCESS_START
        if job.job_id in known or not before_us:
            continue
        log.warning("cancelling orphaned notebook job %s of %s (%s): no server knows it",
                    job.job_id, job.user, job.comment)
        try:
            await slurm.cancel(job.job_id, user=job.user)
            cancelled.append(job.job_id)
        except Exception as e:  # keep sweeping the others
            log.error("cannot cancel orphaned job %s: %s", job.job_id, e)
    return cancelled
