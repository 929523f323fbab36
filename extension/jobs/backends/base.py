"""One small interface for every way a notebook server submits jobs.

A backend submits a built ``BatchJob`` as the notebook's user, reports the state of
many jobs in one call, cancels, and asks accounting about jobs the scheduler has
forgotten. Backends are named in the package's ``BACKENDS`` registry.
"""

from dataclasses import dataclass
from typing import ClassVar

from funicular.core.batchjob import BatchJob
from funicular.core.jobs import JobSite


@dataclass(frozen=True)
class TaskState:
    """One job, or one task of an array (``ID_TASK``), as the scheduler sees it."""

    key: str
    state: str
    reason: str | None = None
    nodes: str | None = None
    start: str | None = None
    end: str | None = None
    exit_code: str | None = None


class JobBackend:
    name: ClassVar[str] = ""  # its BACKENDS name: what job records say they ran through

    def __init__(self, site: JobSite, user: str, env: dict[str, str]):
        self.site = site
        self.user = user

    def check(self, job: BatchJob) -> None:
        """Raise SpecError for what this backend cannot run, before anything changes."""

    async def submit(self, job: BatchJob) -> str:
        raise NotImplementedError

    async def states(self, backend_ids: list[str]) -> dict[str, list[TaskState]]:
        """For each id the scheduler still knows: its task states (one for a plain
        job). Ids it does not know are absent. Raises when it cannot be asked."""
        raise NotImplementedError

    async def accounting(self, backend_id: str) -> list[TaskState]:
        """The final states of a job the scheduler no longer lists; [] if unknown."""
        raise NotImplementedError

    async def cancel(self, backend_id: str) -> None:
        raise NotImplementedError

    async def read_output(self, backend_id: str, offset: int) -> bytes | None:
        """The job's output from ``offset``, for backends that keep it elsewhere than
        the job's directory; None: read it there."""
        return None

