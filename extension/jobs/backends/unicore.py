"""UNICORE through pyunicore: the site's UNICORE server submits to its batch system.

The notebook server authenticates with its user's UNICORE credential, which the hub
hands it (``hubapi.ROUTE_UNICORE_TOKEN``, asked with the server's own token): a
trust-delegation JWT the hub signs with a key the UNICORE server trusts, or the user's
OIDC access token, as the site chose (``c.FunicularUnicore.credential`` on the hub,
spawner/unicorecreds.py). Both go as ``Authorization: Bearer``, as pyunicore's
``JWTToken`` and ``OIDCToken`` send them; a fresh one is asked for when a third of its
life is left, and after UNICORE refused one. The Slurm token is never shown to UNICORE.

The job runs the same container command as with Slurm, from UNICORE's own working
directory for the job ("uspace", where its stdout goes); outputs go to the job's
directory in the home as with every backend. UNICORE has no afterok dependencies and
its job arrays differ: such requests are refused, with the reason.

Tested against a fake of UNICORE's REST API that checks credentials as UNICORE/X does
(tests/integration/unicore_fake.py): no UNICORE server can be installed here.
"""

import asyncio
import re

from funicular.core.batchjob import BatchJob
from funicular.core.errors import SlurmError, SpecError
from funicular.core.hubapi import ROUTE_UNICORE_TOKEN

from .base import JobBackend, TaskState
from .hubtokens import HubTokens

# what the hub may hand over as the user's UNICORE credential (both sent as Bearer)
CREDENTIALS = ("jwt", "oidc")
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


class UnicoreError(SlurmError):
    """UNICORE's answer to a call, with its HTTP status where it gave one."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _status(e: Exception) -> int | None:
    """The HTTP status in pyunicore's error ("403 Server Error: ..."), if any."""
    m = re.match(r"(\d{3}) ", str(e))
    return int(m.group(1)) if m else None


def _refused(e: Exception) -> bool:
    """UNICORE did not take the credential: 401/403, or pyunicore's check that the
    server saw more than an anonymous client."""
    return _status(e) in (401, 403) or type(e).__name__ == "AuthenticationFailedException"


class UnicoreJobBackend(JobBackend):
    name = "unicore"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        if not site.unicore_url:
            raise ValueError("the unicore backend needs the site's unicore_url")
        self.url = site.unicore_url.rstrip("/")
        self.tokens = HubTokens.from_env(env, route=ROUTE_UNICORE_TOKEN,
                                         what="UNICORE credential")
        self._credential = None  # pyunicore BearerToken: its token kept current
        self._client = None  # pyunicore Client, made once it authenticated

    def check(self, job: BatchJob) -> None:
        description(job, {})

    async def _token(self) -> str:
        token = await self.tokens.token()
        if self.tokens.kind not in CREDENTIALS:
            self.tokens.forget()
            raise SlurmError(f"the hub's UNICORE credential is of no known kind "
                             f"({self.tokens.kind!r}; known: {', '.join(CREDENTIALS)})")
        return token

    async def _call(self, fn):
        """``fn(client)`` in a worker thread (pyunicore blocks) with the current
        credential; a failure is a UnicoreError, and a refused credential is asked for
        afresh next time."""
        from pyunicore import client, credentials

        token = await self._token()
        try:
            if self._client is None:
                cred = credentials.BearerToken(token)
                self._client = await asyncio.to_thread(client.Client, cred, self.url)
                self._credential = cred
            else:
                self._credential.token = token  # the transport reads it on each call
            return await asyncio.to_thread(fn, self._client)
        except Exception as e:  # httpx errors carry UNICORE's errorMessage
            if _refused(e):
                self.tokens.forget()
            raise UnicoreError(f"UNICORE: {e}", _status(e)) from None

    def _job(self, c, backend_id: str):
        from pyunicore import client

        return client.Job(c.transport, f"{self.url}/jobs/{backend_id}", cache_time=0)

    async def submit(self, job: BatchJob) -> str:
        desc = description(job, {"HOME": self.site.host_home, "USER": self.user})
        ujob = await self._call(lambda c: c.new_job(desc))
        return ujob.job_id

    async def _state(self, backend_id: str) -> TaskState | None:
        try:
            props = await self._call(lambda c: self._job(c, backend_id).properties)
        except UnicoreError as e:
            if e.status == 404:
                return None
            raise
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
        await self._call(lambda c: self._job(c, backend_id).abort())

    async def read_output(self, backend_id: str, offset: int) -> bytes | None:
        """The job's stdout from its UNICORE working directory, from ``offset``."""
        def read(c):
            wd = self._job(c, backend_id).working_dir
            try:
                return wd.stat("stdout").read(offset=offset)
            except Exception as e:
                if _status(e) == 404:
                    return b""
                raise
        return await self._call(read)
