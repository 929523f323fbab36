"""The notebook server's job service: submit, track, cancel, read logs, tell listeners.

One poll loop per server asks the backend about all unfinished jobs in one call
(every ``poll_interval`` seconds while any is unfinished, soon after a submit or
cancel, rarely when all are done), stores what changed and pushes each change to
every listener of the change stream: widgets and pages never poll Slurm.

The store can fail to take a write (a full home, an I/O error). Before the scheduler
has the job, that fails the submit and undoes it: no record, no job directory, no
copy of the user's store keys. Once the scheduler has it, the record (with its Slurm
id) is kept in memory, shown and polled, and written when the store takes writes
again; a record a stopped server left SUBMITTING without a Slurm id is failed after
``SUBMIT_GRACE``, saying how to find the job if it did reach the scheduler.
"""

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import shutil
import time

from funicular.core import envfile
from funicular.core.errors import SlurmError, SpecError
from funicular.core.jobs import JobSite, batch_job, from_json, job_dir
from funicular.core.jobs.build import STAGE_CREDENTIALS, STAGE_SPEC, stage_spec

from ..changes import ChangeStream
from .backends.base import JobBackend
from .states import summarize
from .store import JobRecord, JobStore, JobStoreError, new_id

log = logging.getLogger("funicular.jobs")
LOG_CHUNK = 1 << 20  # at most this much of a log per request
EXIT_CODE_WAIT = 60.0  # seconds after its end that a job's exit code is looked for
# seconds after which a SUBMITTING record that no submit of this server holds is
# failed: longer than any submit takes, and than another server of the same user's
SUBMIT_GRACE = 600.0


# the jobs API's backends that reach the same scheduler (Slurm's job ids)
SLURM_BACKENDS = frozenset({"cli", "rest"})


def same_scheduler(a: str, b: str) -> bool:
    return a == b or {a, b} <= SLURM_BACKENDS


class JobService:
    def __init__(self, store: JobStore, backend: JobBackend, site: JobSite, *, user: str,
                 home: str, poll_interval: float = 2.0, idle_interval: float = 60.0,
                 store_env: dict[str, str] | None = None):
        self.store = store
        self.store_env = store_env or {}  # the user's object-store keys, for staging
        self.backend = backend
        self.site = site
        self.user = user
        self.home = home.rstrip("/")  # the home as this server sees it
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.changes = ChangeStream()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._submitting: set[str] = set()  # ids whose submit is in flight here
        self._unsaved: dict[str, JobRecord] = {}  # newer than the store: not written yet

    # ------------------------------------------------------------------ requests
    async def submit(self, body: object) -> JobRecord:
        """Validate, build, then submit. A SpecError changes nothing; a scheduler
        that refuses leaves a record in SUBMIT_FAILED with its words; a store that takes
        no write before the submit (JobStoreError) leaves nothing at all."""
        req = from_json(body)
        after_ok = []
        for ref in req.after:
            dep = await self.get(ref)
            if dep is None or not dep.backend_id:
                raise SpecError("after", f"{ref!r} is none of your submitted jobs")
            if dep.backend != self.backend.name:
                raise SpecError("after", f"{ref!r} ran through {dep.backend}, this job "
                                f"through {self.backend.name}")
            after_ok.append(dep.backend_id)
        rec = JobRecord(id=new_id(), backend=self.backend.name, name=req.name,
                        request=req.to_json(), dir="")
        rec.dir = job_dir(self.site, rec.id)
        job = batch_job(req, self.site, job_id=rec.id, user=self.user,
                        after_ok=tuple(after_ok))
        self.backend.check(job)
        if (req.stage_in or req.stage_out) and not self.store_env:
            raise SpecError("stage_in" if req.stage_in else "stage_out",
                            "the hub handed no object-store credentials to this server")
        self._submitting.add(rec.id)
        try:
            await self._prepare(rec, req)
            try:
                rec.backend_id = await self.backend.submit(job)
            except Exception as e:  # (cancelled: unknown; SUBMIT_GRACE settles it)
                rec.state, rec.error = "SUBMIT_FAILED", str(e) or type(e).__name__
                await self._changed(rec)  # final: the store keys go too
                if isinstance(e, SlurmError | OSError | TimeoutError):
                    raise SlurmError(str(e)) from None
                raise
        finally:
            self._submitting.discard(rec.id)
        rec.state = "PENDING"
        await self._changed(rec)  # the scheduler has it: in memory if the store is full
        self.hurry()
        return rec

    async def _prepare(self, rec: JobRecord, req) -> None:
        """The job's directory, its stage files and its SUBMITTING record; on any
        failure none of them is left (the scheduler has not seen the job yet)."""
        os.makedirs(self.path(rec), mode=0o700)
        try:
            if req.stage_in or req.stage_out:
                self._write_stage(rec, req)
            await self.store.put(rec)
        except BaseException:
            with contextlib.suppress(OSError):  # first: the keys must go even if the rest stays
                os.unlink(self.path(rec, STAGE_CREDENTIALS))
            shutil.rmtree(self.path(rec), ignore_errors=True)  # made just now, by us
            raise

    def _write_stage(self, rec: JobRecord, req) -> None:
        """The stage spec and the user's store keys (0600, removed when the job ends)."""
        spec = stage_spec(req, self.site, rec.id, self.user)
        with open(self.path(rec, STAGE_SPEC), "w") as f:
            json.dump(spec, f)
        fd = os.open(self.path(rec, STAGE_CREDENTIALS), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        with os.fdopen(fd, "w") as f:
            f.write(envfile.render(self.store_env))

    def staging(self, rec: JobRecord) -> dict | None:
        """What the job staged so far: the reports of funicular-stage, per direction."""
        if not (rec.request.get("stage_in") or rec.request.get("stage_out")):
            return None
        out = {}
        for direction in ("in", "out"):
            try:
                with open(self.path(rec, f"stage-{direction}.json")) as f:
                    out[direction] = json.load(f)
            except (OSError, ValueError):
                out[direction] = None
        return out

    def describe(self, rec: JobRecord) -> dict:
        """A record as the API shows it: with what it staged."""
        d = rec.to_json()
        staging = self.staging(rec)
        if staging is not None:
            d["staging"] = staging
        return d

    async def jobs(self, limit: int = 500) -> list[JobRecord]:
        """Newest first: the store's records, and those it did not take yet."""
        recs = {r.id: r for r in await self.store.recent(limit)}
        recs.update(self._unsaved)
        return sorted(recs.values(), key=lambda r: -r.submitted)[:limit]

    async def get(self, job_id: str) -> JobRecord | None:
        if job_id in self._unsaved:
            return self._unsaved[job_id]
        return await self.store.get(job_id)

    async def _unfinished(self) -> list[JobRecord]:
        recs = {r.id: r for r in await self.store.unfinished()}
        recs.update(self._unsaved)
        return [r for r in recs.values() if not r.final]

    async def cancel(self, job_id: str) -> JobRecord | None:
        rec = await self.get(job_id)
        if rec is None or rec.final or not rec.backend_id:
            return rec
        if not self.knows(rec):
            raise SpecError("id", f"job {rec.id} ran through {rec.backend}; this server "
                            f"reaches its jobs through {self.backend.name} only")
        await self.backend.cancel(rec.backend_id)
        self.hurry()
        return rec

    def path(self, rec: JobRecord, name: str = "") -> str:
        return f"{self.home}/{rec.dir}" + (f"/{name}" if name else "")

    def log_name(self, rec: JobRecord, task: int | None) -> str:
        if rec.request.get("array"):
            if task is None:
                raise SpecError("task", "this job is an array: name the task")
            return f"slurm-{rec.backend_id}_{task}.log"
        return f"slurm-{rec.backend_id}.log"

    async def read_log(self, rec: JobRecord, offset: int = 0, task: int | None = None,
                       tail: int | None = None) -> dict:
        """Bytes of the job's output from ``offset`` (or its last ``tail`` lines), from
        the backend where it keeps them (UNICORE), else from the job's directory."""
        name = self.log_name(rec, task)
        start = 0 if tail is not None else offset
        remote = None
        if rec.backend_id and rec.state != "SUBMIT_FAILED" and self.knows(rec):
            remote = await self.backend.read_output(rec.backend_id, start)
        if remote is None:
            data, start, size = self._read_file(self.path(rec, name), start, tail)
        else:
            data, size = remote, start + len(remote)
        if tail is not None:
            data = b"\n".join(data[-LOG_CHUNK:].split(b"\n")[-tail - 1:]) if tail else b""
            offset = size
        else:
            data = data[:LOG_CHUNK]
            offset = start + len(data)
        return {"data": data.decode(errors="replace"), "offset": offset, "size": size,
                "final": rec.final}

    @staticmethod
    def _read_file(path: str, offset: int, tail: int | None) -> tuple[bytes, int, int]:
        """(data, where it starts, the file's size); for a tail, the file's last chunk."""
        try:
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                start = max(0, size - LOG_CHUNK) if tail is not None else min(offset, size)
                f.seek(start)
                return f.read(LOG_CHUNK), start, size
        except FileNotFoundError:
            return b"", 0, 0

    def outputs(self, rec: JobRecord) -> list[dict]:
        out = []
        root = self.path(rec)
        for dirpath, _dirs, files in os.walk(root):
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                out.append({"path": os.path.relpath(full, root), "size": st.st_size,
                            "modified": st.st_mtime})
        return out

    # ------------------------------------------------------------------ change stream
    async def _changed(self, rec: JobRecord) -> None:
        """Store and announce a record's new state. A store that takes no write keeps
        the record in memory (shown, polled, written later): the scheduler's word is
        never lost for a full disk."""
        if rec.final:  # a job that never ran leaves the store keys behind: not for long
            with contextlib.suppress(OSError):
                os.unlink(self.path(rec, STAGE_CREDENTIALS))
        try:
            await self.store.put(rec)
        except JobStoreError as e:
            if rec.id not in self._unsaved:
                log.warning("job %s (%s): not written, kept in memory until the store "
                            "takes it: %s", rec.id, rec.state, e)
            self._unsaved[rec.id] = rec
        else:
            self._unsaved.pop(rec.id, None)
        self.changes.publish({"type": "job", "job": self.describe(rec), "time": time.time()})

    async def _flush(self) -> None:
        """Write the records the store did not take before; stop at the first refusal."""
        for rec in list(self._unsaved.values()):
            try:
                await self.store.put(rec)
            except JobStoreError:
                return
            if self._unsaved.get(rec.id) is rec:
                del self._unsaved[rec.id]
                log.info("job %s (%s): written to the store", rec.id, rec.state)

    async def _settle_lost_submits(self, recs: list[JobRecord]) -> None:
        """SUBMITTING without a Slurm id, and no submit here: a server stopped between
        the record and the scheduler's answer. Fail it, saying how to find the job."""
        now = time.time()
        for rec in recs:
            if (rec.state == "SUBMITTING" and not rec.backend_id
                    and rec.id not in self._submitting and now - rec.submitted > SUBMIT_GRACE):
                rec.state = "SUBMIT_FAILED"
                rec.error = ("the notebook server stopped before the scheduler's answer was "
                             "recorded; if the job reached it, its comment is "
                             f"'funicular job {rec.id}' (squeue/sacct --format=JobID,Comment)")
                log.warning("job %s: %s", rec.id, rec.error)
                await self._changed(rec)

    # ------------------------------------------------------------------ polling
    def hurry(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self._flush()  # a last try: what is left was logged as not written

    async def _run(self) -> None:
        while True:
            try:
                busy = await self.poll()
            except Exception as e:  # the scheduler or network: keep going
                log.warning("polling the %s backend: %s", self.backend.name, e)
                busy = True
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(),
                                       self.poll_interval if busy else self.idle_interval)
                await asyncio.sleep(0.2)  # let a submit's or cancel's effect show first
            except TimeoutError:
                pass

    def knows(self, rec: JobRecord) -> bool:
        """Whether this server's backend can ask about ``rec``'s job: one it submitted
        through, or the other way into the same Slurm. The user's records outlive a
        site's change of jobs_backend; a UNICORE job's id means nothing to Slurm (and
        one such record must not stop every other job's news)."""
        return same_scheduler(rec.backend, self.backend.name)

    async def poll(self) -> bool:
        """One look at every unfinished job of this backend's scheduler; True while any
        is unfinished, or has ended in the last minute without an exit code from
        accounting yet."""
        await self._flush()
        late = [r for r in await self.store.without_exit_code(
            since=time.time() - EXIT_CODE_WAIT) if self.knows(r)]
        for rec in late:
            try:
                acct = summarize(await self.backend.accounting(rec.backend_id))
            except Exception as e:
                log.warning("job %s (%s %s): %s", rec.id, rec.backend, rec.backend_id, e)
                continue
            if acct.exit_code and acct.state == rec.state:
                rec.exit_code = acct.exit_code
                await self._changed(rec)
        unfinished = await self._unfinished()
        await self._settle_lost_submits(unfinished)
        recs = [r for r in unfinished if r.backend_id and self.knows(r)]
        if not recs:
            return bool(late or self._unsaved)
        states = await self.backend.states([r.backend_id for r in recs])
        updates = []
        for rec in recs:
            try:
                new = await self._summary(rec, states.get(rec.backend_id))
            except Exception as e:  # one job's trouble must not stop the others' news
                log.warning("job %s (%s %s): %s", rec.id, rec.backend, rec.backend_id, e)
                continue
            if new is not None:
                updates.append((rec, new))
        # all of one look at once: no reader sees a job done before the one it waited for
        for rec, new in sorted(updates, key=lambda u: u[0].submitted):
            if new[0] != rec.state:
                log.info("job %s (%s %s): %s -> %s", rec.id, rec.backend, rec.backend_id,
                         rec.state, new[0])
            (rec.state, rec.reason, rec.nodes, rec.started, rec.ended, rec.exit_code,
             rec.expected_start, rec.tasks) = new
            await self._changed(rec)
        return True

    async def _summary(self, rec: JobRecord, tasks) -> tuple | None:
        """The record's new fields from the scheduler's tasks, or None if unchanged."""
        if tasks is None:  # forgotten by the scheduler: what did accounting keep?
            tasks = await self.backend.accounting(rec.backend_id)
            if not tasks:
                return None
        s = summarize(tasks)
        if s.state not in ("RUNNING", "PENDING", "UNKNOWN") and s.exit_code is None:
            # ended: the exit code is in accounting (the tasks' states stay squeue's,
            # which lists every task of an array)
            acct = summarize(await self.backend.accounting(rec.backend_id))
            if acct.state == s.state:
                s = dataclasses.replace(s, exit_code=acct.exit_code)
        new = (s.state, s.reason, s.nodes or rec.nodes, s.started or rec.started,
               s.ended, s.exit_code or rec.exit_code, s.expected_start, s.tasks)
        old = (rec.state, rec.reason, rec.nodes, rec.started, rec.ended, rec.exit_code,
               rec.expected_start, rec.tasks)
        return new if new != old else None
