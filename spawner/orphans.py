"""Cancel notebook jobs this hub started but no longer knows about.

A job can lose its spawner: the hub died between ``sbatch`` returning and the job
id reaching its database, ``sbatch`` timed out after slurmctld had taken the job,
or a stop could not cancel. Such a job holds an allocation nobody will stop. Every
``orphan_sweep_interval`` seconds (and once after start-up) every active job that
carries this hub's marker (job name prefix and comment), is older than
``orphan_grace`` seconds (or than this hub process), and appears in no spawner's
state is cancelled, as its owner.

Names and comments are the user's to change: they only make a job a candidate.
Before cancelling, that one job is read again by id, and its owner, marker and age
checked on that fresh record; the cancel runs as the owner Slurm names, so a forged
marker can at most have a user's own job cancelled.
"""

import asyncio
import logging
import time

from jupyterhub import orm

from funicular.core.errors import IdentityError, SlurmError
from funicular.core.slurm.jobinfo import QueuedJob
from funicular.core.slurm.jobjson import QUEUED_STATES

from . import submission
from .reattach import _wait_for_hub

log = logging.getLogger("funicular.spawner")

PROCESS_START = time.time()
_sweepers: dict[str, asyncio.Task] = {}


def schedule_sweep(proxy, session, slurm, prefix: str, interval: float, grace: float,
                   out=log) -> None:
    """Start this hub's sweep loop for a job prefix (once per process)."""
    if prefix in _sweepers and not _sweepers[prefix].done():
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # not inside a running hub
    _sweepers[prefix] = asyncio.ensure_future(_loop(proxy, session, slurm, prefix, interval,
                                                    grace, out))


def known_jobs(session) -> tuple[set[str], set[str]]:
    """Job ids and submission nonces that some spawner's state holds."""
    ids, nonces = set(), set()
    for row in session.query(orm.Spawner):
        state = row.state or {}
        for key in ("job_id", "adopt_job_id"):
            if state.get(key):
                ids.add(str(state[key]))
        if state.get("submit_nonce"):
            nonces.add(str(state["submit_nonce"]))
    return ids, nonces


def is_ours(job: QueuedJob, prefix: str) -> bool:
    return job.name.startswith(f"{prefix}-") and job.comment.startswith(f"funicular {prefix} ")


def is_orphan(job: QueuedJob, prefix: str, ids: set[str], nonces: set[str],
              cutoff: float) -> bool:
    """Ours, known to no spawner, and submitted before ``cutoff`` (Unix time)."""
    if not is_ours(job, prefix) or job.job_id in ids:
        return False
    if submission.nonce_of(job.comment) in nonces:
        return False  # a submission whose answer a spawner is still waiting for
    return job.submitted is not None and job.submitted < cutoff


async def _loop(proxy, session, slurm, prefix: str, interval: float, grace: float,
                out=log) -> None:
    if proxy is not None:
        await _wait_for_hub(proxy)
    while True:
        try:
            await sweep(session, slurm, prefix, grace, out)
        except Exception:  # never let one bad round end the loop
            out.exception("orphan sweep failed")
        if not interval:
            return
        await asyncio.sleep(interval)


async def sweep(session, slurm, prefix: str, grace: float, log=log) -> list[str]:
    """One round; returns the ids of the jobs cancelled. ``log``: the hub's log."""
    try:
        jobs = await slurm.active_jobs()
    except (SlurmError, TimeoutError) as e:
        log.warning("orphan sweep: cannot list jobs: %s", e)
        return []

    def cutoff() -> float:
        return max(PROCESS_START, time.time() - grace)

    ids, nonces = known_jobs(session)
    cancelled = []
    for job in jobs:
        if not is_orphan(job, prefix, ids, nonces, cutoff()):
            continue
        try:
            fresh = await slurm.job(job.job_id)
        except (SlurmError, TimeoutError) as e:
            log.warning("orphan sweep: cannot read job %s again: %s", job.job_id, e)
            continue
        ids, nonces = known_jobs(session)  # a spawn may have saved it meanwhile
        if fresh is None or fresh.state not in QUEUED_STATES or fresh.user != job.user \
                or not is_orphan(fresh, prefix, ids, nonces, cutoff()):
            continue
        log.warning("cancelling orphaned notebook job %s of %s: no server knows it",
                    job.job_id, job.user)
        try:
            await slurm.cancel(job.job_id, user=job.user)
            cancelled.append(job.job_id)
        except (SlurmError, TimeoutError, IdentityError, ValueError) as e:
            log.error("cannot cancel orphaned job %s: %s", job.job_id, e)
    log.info("orphan sweep: %d active jobs of this hub, %d cancelled",
             sum(is_ours(j, prefix) for j in jobs), len(cancelled))
    return cancelled
