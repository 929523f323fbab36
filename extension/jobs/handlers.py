"""REST API of the job service (its routes: ``routes.ROUTES["jobs"]``), with Jupyter's
own auth and XSRF rules (a notebook server belongs to one user: only that user gets
here)."""

import asyncio
import json
import re

from tornado import web
from tornado.iostream import StreamClosedError

from funicular.core.errors import SlurmError, SpecError

from ..api import JOBS_SETTING, KEEPALIVE, ApiHandler, SpecHTTPError, authorized
from .store import JobStoreError


class _JobsHandler(ApiHandler):
    @property
    def jobs(self):
        service = self.settings.get(JOBS_SETTING)
        if service is None:
            raise web.HTTPError(503, self.settings.get(JOBS_SETTING + "_error")
                                or "jobs are not configured for this server")
        return service

    async def _job(self, job_id: str):
        rec = await self.jobs.get(job_id)
        if rec is None:
            raise web.HTTPError(404, f"no job {job_id}")
        return rec

    def write_error(self, status_code, **kwargs):
        """A store that cannot be read or written is the server's trouble, not the
        request's: 503 with what the store said, wherever it happened."""
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, JobStoreError):
            self.clear()  # a 500's headers and reason
            self.set_status(503)
            kwargs["exc_info"] = (web.HTTPError, web.HTTPError(503, str(exc)), None)
            status_code = 503
        super().write_error(status_code, **kwargs)

    def _int_arg(self, name: str, lo: int = 0, hi: int = 1 << 62) -> int | None:
        raw = self.get_argument(name, None)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]{1,19}", raw) or not lo <= int(raw) <= hi:
            raise web.HTTPError(400, f"{name} must be a whole number in {lo}..{hi}")
        return int(raw)


class JobsHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self):
        jobs = self.jobs
        self.finish(json.dumps({"jobs": [jobs.describe(r) for r in await jobs.jobs()]}))

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body()
        try:
            rec = await self.jobs.submit(body)
        except SpecError as e:
            raise SpecHTTPError(e) from None
        except SlurmError as e:
            raise web.HTTPError(502, f"the scheduler refused the job: {e}") from None
        except OSError as e:  # the job's directory or stage files: nothing was submitted
            raise web.HTTPError(503, f"the job's directory could not be written: {e}") \
                from None
        self.set_status(201)
        self.finish(json.dumps(self.jobs.describe(rec)))


class SiteHandler(_JobsHandler):
    @web.authenticated
    @authorized
    def get(self):
        site = self.jobs.site
        self.finish(json.dumps({
            "backend": self.jobs.backend.name, "partitions": list(site.partitions),
            "images": {k: {"description": i.description, "runtime": i.runtime or site.runtime}
                       for k, i in sorted(site.images.items())}}))


class JobHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id):
        self.finish(json.dumps(self.jobs.describe(await self._job(job_id))))


class CancelHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def post(self, job_id):
        await self._job(job_id)
        try:
            rec = await self.jobs.cancel(job_id)
        except SlurmError as e:
            raise web.HTTPError(502, f"the scheduler did not cancel the job: {e}") from None
        self.set_status(202)
        self.finish(json.dumps(self.jobs.describe(rec)))


class OutputsHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id):
        rec = await self._job(job_id)
        self.finish(json.dumps({"dir": rec.dir, "files": self.jobs.outputs(rec)}))


class LogsHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self, job_id):
        rec = await self._job(job_id)
        offset = self._int_arg("offset") or 0
        task = self._int_arg("task", 0, 1 << 20)
        tail = self._int_arg("tail", 0, 100000)
        try:
            chunk = await self.jobs.read_log(rec, offset, task, tail)
        except SpecError as e:
            raise SpecHTTPError(e) from None
        if self.get_argument("follow", "0") not in ("1", "true"):
            self.finish(json.dumps(chunk))
            return
        self.start_stream()
        idle = 0.0
        try:
            while True:
                if chunk["data"] or idle >= KEEPALIVE:
                    await self.send("log", chunk)
                    idle = 0.0
                if chunk["final"] and not chunk["data"]:
                    await self.send("end", {"offset": chunk["offset"],
                                            "state": rec.state})
                    break
                if not chunk["data"]:
                    await asyncio.sleep(0.5)
                    idle += 0.5
                rec = await self._job(job_id)
                chunk = await self.jobs.read_log(rec, chunk["offset"], task)
        except StreamClosedError:
            return
        self.finish()


class EventsHandler(_JobsHandler):
    @web.authenticated
    @authorized
    async def get(self):
        service = self.jobs

        async def snapshot():
            return {"jobs": [service.describe(r) for r in await service.jobs()]}
        await self.follow(service.changes, snapshot)

