"""A stand-in for the scheduler behind the jobs API: a JobBackend that answers with
whatever a test put in it and records what was submitted. The real backends run
against Slurm and a fake UNICORE in tests/integration."""

from funicular.core.errors import SlurmError
from funicular.core.jobs import JobSite, SiteImage
from funicular.extension.jobs.backends.base import JobBackend, TaskState

SITE = JobSite(images={"sim": SiteImage("/apps/sim")}, host_home="/users/alice")


class Scheduler(JobBackend):
    """Answers with whatever the test put in ``tasks``; records submissions."""

    name = "rest"

    def __init__(self, site: JobSite = SITE, user: str = "alice",
                 env: dict[str, str] | None = None):
        super().__init__(site, user, env or {})
        self.submitted, self.tasks, self.acct, self.refuse = [], {}, {}, None
        self.then = None  # runs right after a job was taken

    async def submit(self, job):
        if self.refuse:
            raise SlurmError(self.refuse)
        self.submitted.append(job)
        if self.then:
            self.then()
        return str(100 + len(self.submitted))

    async def states(self, ids):
        return {i: self.tasks[i] for i in ids if i in self.tasks}

    async def accounting(self, backend_id):
        return self.acct.get(backend_id, [])

    async def cancel(self, backend_id):
        self.tasks[backend_id] = [TaskState(backend_id, "CANCELLED")]
