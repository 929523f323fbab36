"""What the Slurm CLI and slurmrestd job backends share: their clients have one
interface. (Named for the jobs they submit, unlike core.slurm's clients.)"""

import importlib.resources

from funicular.core.batchjob import BatchJob
from funicular.core.slurm.jobinfo import JobInfo

from .base import JobBackend, TaskState


def _task(info: JobInfo) -> TaskState:
    return TaskState(key=info.job_id, state=info.state, reason=info.reason, nodes=info.nodes,
                     start=info.start_time, end=info.end_time)


def owner(key: str) -> str:
    """The job id a squeue key belongs to: "41", "41_3" and "41_[4-9]" all to "41"."""
    return key.split("_", 1)[0]


class SlurmJobBackend(JobBackend):
    """Subclasses set ``self.slurm`` (SlurmCLI or SlurmREST)."""

    slurm = None
    # the same fixed batch script as notebook servers: the command is its argv
    script = str(importlib.resources.files("funicular.core") / "launch.sh")

    async def submit(self, job: BatchJob) -> str:
        # the home as the nodes see it: a container's passwd may say otherwise
        return await self.slurm.submit(job, user=self.user, script=self.script,
                                       home=self.site.host_home)

    async def states(self, backend_ids: list[str]) -> dict[str, list[TaskState]]:
        out: dict[str, list[TaskState]] = {}
        if not backend_ids:
            return out
        for key, info in (await self.slurm.query(backend_ids)).items():
            out.setdefault(owner(key), []).append(_task(info))
        return out

    async def accounting(self, backend_id: str) -> list[TaskState]:
        return [TaskState(key=r["JobID"], state=r["State"], nodes=r.get("NodeList") or None,
                          start=r.get("Start") or None, end=r.get("End") or None,
                          exit_code=r.get("ExitCode") or None)
                for r in await self.slurm.accounting(backend_id)
                if owner(r["JobID"]) == backend_id]

    async def cancel(self, backend_id: str) -> None:
        await self.slurm.cancel(backend_id, user=self.user)
