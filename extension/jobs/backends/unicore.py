"""UNICORE through pyunicore: the site's UNICORE server submits to its batch system.

The notebook server authenticates with the same short-lived token of its user's that
the hub hands out for slurmrestd (a UNICORE server configured for JWT delegation
accepts it). The job runs the same container command as with Slurm, from UNICORE's
own working directory for the job ("uspace", where its stdout goes); outputs go to
the job's directory in the home as with every backend. UNICORE has no afterok
dependencies and its job arrays differ: such requests are refused, with the reason.

Tested against a faithful fake of UNICORE's REST API (tests/integration/
unicore_fake.py): no UNICORE server can be installed here.
"""

import asyncio

from funicular.core.batchjob import BatchJob
from funicular.core.errors import SlurmError, SpecError

from .base import JobBackend, TaskState
from .hubtokens import HubTokens

# UNICORE's job states -> the Slurm words the rest of Funicular speaks
STATES = {"UNDEFINED": "PENDING", "READY": "PENDING", "STAGINGIN": "PENDING",
          "QUEUED": "PENDING", "RUNNING": "RUNNING", "STAGINGOUT": "COMPLETING",
          "SUCCESSFUL": "COMPLETED", "FAILED": "FAILED"}


def description(job: BatchJob, env: dict[str, str]) -> dict:
    """A UNICORE job description for a built BatchJob (pure)."""
    if job.array or job.after_ok:
        raise SpecError("array" if job.array else "after",
                        "the UNICORE backend runs neither job arrays nor dependencies")
    r = job.resources
    res: dict = {"Queue": r.partition, "Nodes": r.nodes, "CPUsPerTask": r.cpus,
                 "TasksPerNode": job.tasks_per_node, "Runtime": f"{r.minutes}min"}
    if r.memory_mb:
        res["Memory"] = f"{r.memory_mb}M"
    if r.gpus:
        res["GPUsPerNode"] = r.gpus
    if r.account:
        res["Project"] = r.account
    if r.reservation:
        res["Reservation"] = r.reservation
    return {"Name": job.name, "Executable": job.command[0], "Arguments": list(job.command[1:]),
            "Environment": env, "Resources": res, "Job type": "batch",
            "Stdout": "stdout", "Stderr": "stderr", "Tags": ["funicular"]}


class UnicoreJobBackend(JobBackend):
    name = "unicore"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        if not site.unicore_url:
            raise ValueError("the unicore backend needs the site's unicore_url")
        self.tokens = HubTokens.from_env(env)
        self._client_for: tuple[str, object] | None = None  # (token, pyunicore Client)

    def check(self, job: BatchJob) -> None:
        description(job, {})

    async def _client(self):
        from pyunicore import client, credentials

        token = await self.tokens.token()
        if self._client_for is None or self._client_for[0] != token:
            c = await asyncio.to_thread(client.Client, credentials.BearerToken(token),
                                        self.site.unicore_url)
            self._client_for = (token, c)
        return self._client_for[1]

    async def _job(self, backend_id: str):
        from pyunicore import client

        c = await self._client()
        return client.Job(c.transport, f"{self.site.unicore_url.rstrip('/')}/jobs/{backend_id}",
                          cache_time=0)

    async def submit(self, job: BatchJob) -> str:
        desc = description(job, {"HOME": self.site.host_home, "USER": self.user})
        try:
            c = await self._client()
            ujob = await asyncio.to_thread(c.new_job, desc)
        except Exception as e:  # httpx errors carry UNICORE's errorMessage
            raise SlurmError(f"UNICORE: {e}") from None
        return ujob.job_id

    async def _state(self, backend_id: str) -> TaskState | None:
        try:
            ujob = await self._job(backend_id)
            props = await asyncio.to_thread(lambda: ujob.properties)
        except Exception as e:
            if "404" in str(e):
                return None
            raise SlurmError(f"UNICORE: {e}") from None
        state = STATES.get(props.get("status"), "PENDING")
        code = props.get("exitCode")
        return TaskState(key=backend_id, state=state,
                         reason=props.get("statusMessage") or None,
                         exit_code=f"{code}:0" if code not in (None, "") else None)

    async def states(self, backend_ids: list[str]) -> dict[str, list[TaskState]]:
        out = {}
        for backend_id in backend_ids:  # UNICORE has no query for many jobs at once
            t = await self._state(backend_id)
            if t is not None:
                out[backend_id] = [t]
        return out

    async def accounting(self, backend_id: str) -> list[TaskState]:
        t = await self._state(backend_id)
        return [t] if t else []

    async def cancel(self, backend_id: str) -> None:
        ujob = await self._job(backend_id)
        try:
            await asyncio.to_thread(ujob.abort)
        except Exception as e:
            raise SlurmError(f"UNICORE: {e}") from None

    async def read_output(self, backend_id: str, offset: int) -> bytes | None:
        """The job's stdout from its UNICORE working directory, from ``offset``."""
        ujob = await self._job(backend_id)

        def read():
            wd = ujob.working_dir
            try:
                return wd.stat("stdout").read(offset=offset)
            except Exception as e:
                if "404" in str(e):
                    return b""
                raise
        try:
            return await asyncio.to_thread(read)
        except Exception as e:
            raise SlurmError(f"UNICORE: {e}") from None
