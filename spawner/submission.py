"""Submitting a notebook job so that it is never lost, even when sbatch's answer is.

sbatch can time out after slurmctld took the job (a controller that froze, then
came back): the job runs, and no spawner knows its id. Each submission carries a
nonce of its own at the end of its comment, saved in the spawner's state before
sbatch runs. When the answer is lost, the job is looked up by that comment and
adopted; if Slurm cannot be asked either, the orphan sweep finds it later (known
to no spawner once the failed start is cleared) and cancels it.
"""

import dataclasses
import secrets

from funicular.core.batchjob import BatchJob
from funicular.core.errors import SlurmError


def tagged(comment: str, nonce: str) -> str:
    """The job comment with a submission's nonce (its last word, see ``nonce_of``)."""
    return f"{comment} {nonce}"


def nonce_of(comment: str) -> str:
    return comment.rsplit(" ", 1)[-1]


def with_nonce(job: BatchJob) -> tuple[BatchJob, str]:
    nonce = secrets.token_hex(8)
    return dataclasses.replace(job, comment=tagged(job.comment, nonce)), nonce


async def find_submitted(slurm, user: str, name: str, comment: str) -> str | None:
    """The id of the active job of ``user`` with exactly this name and comment."""
    for q in await slurm.active_jobs():
        if q.user == user and q.name == name and q.comment == comment:
            return q.job_id
    return None


async def submit(slurm, job: BatchJob, *, user: str, script: str, log) -> str:
    """Submit ``job`` (which carries its nonce); on a lost answer, find the job."""
    try:
        return await slurm.submit(job, user=user, script=script)
    except (SlurmError, TimeoutError) as e:
        failure = e
    try:
        found = await find_submitted(slurm, user, job.name, job.comment)
    except (SlurmError, TimeoutError) as e:
        log.warning("cannot look for the job of a failed sbatch (%s); the orphan sweep "
                    "will cancel it if slurmctld took it", e)
        found = None
    if found:
        log.warning("sbatch failed (%s), but Slurm has the job: adopting %s", failure, found)
        return found
    if isinstance(failure, TimeoutError):
        raise SlurmError(f"sbatch did not answer within {slurm.timeout:.0f} s; "
                         "the cluster may be busy, try again later") from None
    raise failure
