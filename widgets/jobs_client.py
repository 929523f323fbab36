"""Follow-on jobs from a notebook or script: ``submit(...)`` returns a ``Job``.

    from funicular.widgets import jobs
    job = jobs.submit("notebook", ["python3", "sim.py"], partition="mc", nodes=2)
    job.wait()            # blocks until the job has ended, following the change stream
    print(job.status, job.logs())
    job.outputs           # files in the job's directory, as paths in this notebook

Talks to the server extension of the notebook server this kernel belongs to (its
REST API and change stream), never to Slurm: any kernel of that server works, and a
kernel restart loses nothing. The ``a``-prefixed functions are the asyncio variants.
"""

import asyncio
import os
import time
from collections.abc import Callable, Iterator

from funicular.core.hubapi import SERVER_API

from .client import ApiError, request
from .client import events as api_events

API = f"{SERVER_API}/jobs"


JobError = ApiError  # the server refused a request; ``field`` names the offending field


def _request(method: str, path: str = "", body: dict | None = None,
             params: dict | None = None, timeout: float = 60):
    return request(API, method, path, body, params, timeout)


def events(timeout: float | None = None) -> Iterator[tuple[str, dict]]:
    """The change stream: ("snapshot", {"jobs": [...]}) first, then ("job", {"job": ...})
    for every change, until ``timeout`` seconds without any event (None: forever)."""
    return api_events(API, timeout)


class Job:
    """A job of this user's, as the server's job service knows it."""

    def __init__(self, record: dict):
        self.record = record

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.record['name']} {self.record['state']}>"

    @property
    def id(self) -> str:
        return self.record["id"]

    def refresh(self) -> dict:
        self.record = _request("GET", f"/{self.id}")
        return self.record

    @property
    def status(self) -> str:
        """PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT... (asks the server)."""
        return self.refresh()["state"]

    @property
    def done(self) -> bool:
        return self.refresh()["final"]

    def wait(self, timeout: float | None = None) -> str:
        """Block until the job has ended (or raise TimeoutError); its final state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.refresh()["final"]:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"job {self.id} still {self.record['state']}")
            try:
                for name, data in events(timeout=min(left or 30, 30)):
                    job = data.get("job") if name == "job" else None
                    if job and job["id"] == self.id:
                        self.record = job
                        if job["final"]:
                            return job["state"]
                    if deadline is not None and time.monotonic() > deadline:
                        break
            except (TimeoutError, OSError):
                pass  # a quiet stream: look again
        return self.record["state"]

    def logs(self, task: int | None = None, tail: int | None = None) -> str:
        """The job's output so far (an array's: one task's)."""
        return _request("GET", f"/{self.id}/logs", params={"task": task, "tail": tail})["data"]

    def follow(self, callback: Callable[[str], None] = print, task: int | None = None,
               poll: float = 1.0) -> str:
        """Pass new output to ``callback`` as it comes, until the job has ended."""
        offset = 0
        while True:
            chunk = _request("GET", f"/{self.id}/logs", params={"task": task,
                                                                "offset": offset})
            if chunk["data"]:
                callback(chunk["data"])
            offset = chunk["offset"]
            if chunk["final"] and not chunk["data"]:
                return self.refresh()["state"]
            if not chunk["data"]:
                time.sleep(poll)

    def cancel(self) -> None:
        self.record = _request("POST", f"/{self.id}/cancel")

    @property
    def directory(self) -> str:
        return os.path.join(os.path.expanduser("~"), self.record["dir"])

    @property
    def outputs(self) -> list[str]:
        """Files the job wrote in its directory, as paths in this notebook."""
        files = _request("GET", f"/{self.id}/outputs")["files"]
        return [os.path.join(self.directory, f["path"]) for f in files]

    async def await_done(self, timeout: float | None = None) -> str:
        return await asyncio.to_thread(self.wait, timeout)

    async def alogs(self, task: int | None = None, tail: int | None = None) -> str:
        return await asyncio.to_thread(self.logs, task, tail)

    async def acancel(self) -> None:
        await asyncio.to_thread(self.cancel)


def submit(image: str, command: list[str], partition: str, **fields) -> Job:
    """Submit a containerised batch job; ``fields``: nodes, tasks_per_node,
    cpus_per_task, gpus, memory_mb, minutes, account, mpi, env, workdir, array,
    after (jobs or their ids), name, stage_in / stage_out ([{"src": ..., "dst": ...}],
    see funicular.widgets.storage_client). Raises JobError naming a refused field."""
    after = fields.get("after")
    if after is not None:
        fields["after"] = [a.id if isinstance(a, Job) else a
                           for a in (after if isinstance(after, list | tuple) else [after])]
    body = {"image": image, "command": list(command), "partition": partition, **fields}
    return Job(_request("POST", body=body))


def get(job_id: str) -> Job:
    return Job(_request("GET", f"/{job_id}"))


def jobs() -> list[Job]:
    """This user's jobs, newest first (from earlier servers too)."""
    return [Job(r) for r in _request("GET")["jobs"]]


def site() -> dict:
    """What jobs may use here: images, partitions, the backend."""
    return _request("GET", "/site")


async def asubmit(image: str, command: list[str], partition: str, **fields) -> Job:
    return await asyncio.to_thread(submit, image, command, partition, **fields)


async def ajobs() -> list[Job]:
    return await asyncio.to_thread(jobs)
