"""FunicularSpawner: each user's notebook server as a containerised Slurm job.

The spawner composes: its settings (traits.py), its saved state (state.py), the
notebook's batch job (notebookjob.py, through core's one launch recipe), the user's
home as the user (homefiles.py), the start watch and progress (startwatch.py), the
submission (submission.py), end reasons (endreason.py), stops that could not cancel
(cancelling.py), the orphan sweep (orphans.py), workshops and their material.
"""

import asyncio
import datetime
import functools
import importlib.resources

import sqlalchemy
from jupyterhub.spawner import Spawner
from jupyterhub.utils import make_ssl_context
from tornado import web

from funicular.core import envfile
from funicular.core.errors import IdentityError, SlurmError, SpecError

from . import cancelling, orphans, reattach, shared, startwatch, submission
from .endreason import JobEnd, job_end
from .homefiles import HomeFiles
from .materialsource import material_note
from .notebookjob import ServerPaths, job_name, marker, notebook_job
from .offer import SpawnerOffer
from .state import ServerState, revoke_token, token_created, token_id

LAUNCH_SCRIPT = str(importlib.resources.files("funicular.core") / "launch.sh")


def _kept(name: str):
    """An attribute of the saved state, as the spawner's own (handlers and helpers
    read job_id, token_id... on the spawner)."""
    return property(lambda self: getattr(self.kept, name),
                    lambda self, value: setattr(self.kept, name, value))


class FunicularSpawner(SpawnerOffer, Spawner):
    """Start jupyterhub-singleuser in a container, in a Slurm batch job, as the user."""

    @functools.cached_property
    def kept(self) -> ServerState:
        """What is saved in the hub's database (state.py)."""
        return ServerState()

    job_id = _kept("job_id")
    host = _kept("host")
    port_reported = _kept("port")
    adopt_job_id = _kept("adopt_job_id")
    token_id = _kept("token_id")
    submit_nonce = _kept("submit_nonce")
    pending_cancel = _kept("pending_cancel")
    accepted_options = _kept("accepted_options")
    last_end = _kept("last_end")
    end_time = _kept("end_time")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.progress_events = startwatch.Progress()
        self._start_failed = False
        self._address: asyncio.Future | None = None
        self._listening = asyncio.Event()  # the server says it accepts connections
        self._respawn_wanted = False
        self._tls_files: dict[str, str] = {}  # written with the env file, at start
        settings = self.slurm_settings
        self.slurm = shared.backend(settings)
        self.status = shared.status_cache(settings, self.status_interval,
                                          self.start_poll_interval)
        self.cluster = shared.cluster_view(settings, self.cluster_info_ttl)
        if self.user is not None:
            self.start_sweep(self.user.settings.get("proxy"), self._session)

    def start_sweep(self, proxy, session) -> None:
        orphans.schedule_sweep(proxy, session, self.slurm, self.job_name_prefix,
                               self.orphan_sweep_interval, self.orphan_grace, self.log)

    @property
    def paths(self) -> ServerPaths:
        return ServerPaths(self.state_dir, self.name)

    @property
    def home_files(self) -> HomeFiles:
        return HomeFiles(self.become, self.user.name, self.identity, self._home,
                         self.slurm_timeout)

    @property
    def _session(self):
        return sqlalchemy.inspect(self.orm_spawner).session

    # ------------------------------------------------------------------ state
    def load_state(self, state):
        super().load_state(state)
        self.kept = ServerState.load(state)
        self._schedule_cancels()

    def get_state(self):
        return {**super().get_state(), **self.kept.dump()}

    def clear_state(self):
        super().clear_state()
        self.kept.clear()
        if self._respawn_wanted:
            self._respawn_wanted = False
            reattach.schedule_respawn(self.user, self.name)

    def _save_state(self):
        """Persist now, not when JupyterHub next saves: a hub that dies right after
        sbatch must still know the job when it comes back."""
        self.orm_spawner.state = self.get_state()
        self._session.commit()

    def _revoke_token(self, tid: int | None, created: str | None = None) -> None:
        if revoke_token(self._session, self.user.id, tid, created):
            self.log.info("%s: revoked server token %s", self._log_name, tid)

    # ------------------------------------------------------------------ lifecycle
    async def progress(self):
        async for event in self.progress_events.stream():
            yield event

    async def start(self):
        self.progress_events.starting = True
        self._start_failed = False
        self.progress_events.reset()
        self.last_end = None
        try:
            return await self._start()
        except BaseException:
            self._start_failed = True  # poll() then leaves its job to stop()
            raise
        finally:
            self.progress_events.done()

    async def _start(self):
        began = asyncio.get_running_loop().time()
        try:
            self.identity.check(self.user.name)
        except IdentityError as e:
            raise web.HTTPError(403, str(e)) from None
        # first: the hub's handlers know this server by its token's id
        self.token_id = token_id(self._session, self.api_token)
        try:
            choice = self._resolve(self.user_options or {}, await self.cluster.get())
            warnings = self._check_image(choice)
            site = self.site()
            job, nonce = submission.with_nonce(self._job(choice, site))
        except SpecError as e:
            self._refuse_options()
            # a 400 with the reason reaches the REST client and the spawn page as it is
            raise web.HTTPError(400, f"Invalid server options: {e}") from None
        self.accepted_options = dict(self.user_options or {})
        self._address = asyncio.get_running_loop().create_future()
        self._listening = asyncio.Event()
        await self._prepare_home(site)

        if self.adopt_job_id and await self._alive(self.adopt_job_id):
            self.job_id = self.adopt_job_id
            self.progress_events.emit(10, f"Re-attached to Slurm job {self.job_id}")
        else:
            self.submit_nonce = nonce
            self._save_state()  # a hub that dies during sbatch: the sweep knows the nonce
            self.job_id = await submission.submit(self.slurm, job, user=self.user.name,
                                                  script=LAUNCH_SCRIPT, log=self.log)
            self.progress_events.emit(10, f"Submitted Slurm job {self.job_id} ({choice.label})")
            for w in warnings:
                self.progress_events.emit(10, f"Warning: {w}")
        self.adopt_job_id = self.submit_nonce = None
        self._save_state()
        self.log.info("%s: Slurm job %s", self._log_name, self.job_id)

        async def cancel():
            await self.slurm.cancel(self.job_id, user=self.user.name)
        try:
            host, port = await startwatch.watch_start(
                self._address, self.status, self.job_id, interval=self.start_poll_interval,
                max_queue_time=self.max_queue_time, progress=self.progress_events,
                cancel=cancel, log_path=f"{self._home}/{self.paths.log(self.job_id)}",
                warn=lambda text: self.log.warning("%s: %s", self._log_name, text))
        except startwatch.QueueTimeout as e:
            raise web.HTTPError(503, str(e)) from None
        self.host, self.port_reported = host, port
        self._save_state()
        await startwatch.wait_listening(host, port, self._listening, self.http_timeout)
        scheme = "https" if self.internal_ssl else "http"
        if self.verify_listener:
            # the socket listens from the report on, the server answers once it has
            # started (50 on one node take a minute): wait while start_timeout lasts
            left = self.start_timeout - (asyncio.get_running_loop().time() - began)
            await startwatch.verify_listener(
                f"{scheme}://{host}:{port}{self.server.base_url}", self.api_token,
                max(self.http_timeout, left - 5), self._listener_ssl())
        until = f"; Slurm ends it at {self.end_time}" if self.end_time else ""
        self.progress_events.emit(90, f"Server is up on {host}:{port}{until}")
        return f"{scheme}://{host}:{port}"

    async def _prepare_home(self, site) -> None:
        """The env file, the TLS files and the course material: one helper call."""
        files = {self.paths.env: envfile.render(self._server_env(site)), **self._tls_files}
        try:
            material = await self._material()
        except RuntimeError as e:
            material, failed = None, str(e)
        else:
            failed = None
        report = await self.home_files.prepare(files, material)
        failed = failed or report.get("material_error")
        if failed:  # reported, not fatal: the participant still gets a server
            self.log.error("funicular: course material for %s: %s", self.user.name, failed)
            self.progress_events.emit(5, f"The course material could not be copied: {failed}")
        elif report.get("material"):
            self.progress_events.emit(5, material_note(report["material"], material[1]))

    async def _alive(self, job_id: str) -> bool:
        """A job from before a hub restart that is still alive and can be adopted."""
        try:
            info = await self.status.get(job_id, max_age=0)
        except SlurmError:
            return False
        return info is not None and info.active

    def accept_listening(self, host: str, port: int) -> tuple[int, str]:
        """The server at the address it reported accepts connections now."""
        if (host, port) != (self.host, self.port_reported):
            return 409, "this is not the address this server reported"
        self._listening.set()
        return 200, "ok"

    async def accept_address(self, host: str, port: int) -> tuple[int, str]:
        """Called by the address handler with validated values; (HTTP status, text)."""
        fut = self._address
        if fut is None or fut.done():
            if (host, port) == (self.host, self.port_reported):
                return 200, "already known"
            return 503, "this server is not waiting for an address (yet)"
        if not self.job_id:
            # under a burst the job may start, and report, before sbatch's answer is
            # back in the hub: the server tries again in a moment
            return 503, "the job's id is not known yet"
        code, text, info = await startwatch.check_report(
            self.status, self.job_id, host, self.start_poll_interval)
        if code != 200:
            return code, text
        self.end_time = info.end_time
        self.progress_events.announce_node(info.batch_host)
        if not fut.done():
            fut.set_result((host, port))
        return 200, "ok"

    def end_epoch(self) -> float | None:
        """The job's end time as a Unix time (Slurm prints local time without a zone)."""
        try:
            return datetime.datetime.fromisoformat(self.end_time).timestamp()
        except (TypeError, ValueError):
            return None

    async def poll(self):
        if not self.job_id:
            # a start stopped while its sbatch's answer was outstanding: "running", so
            # that JupyterHub calls stop(), which looks the job up by its nonce
            return None if self.submit_nonce else 0
        if self.progress_events.starting:
            return None
        try:
            info = await self.status.get(self.job_id, max_age=self.status_interval * 1.5)
        except SlurmError as e:
            # an unreachable controller is no reason to drop a healthy server
            self.log.warning("%s: cannot ask Slurm (%s); assuming it runs", self._log_name, e)
            return None
        if info is None or not info.active or info.state == "COMPLETING":
            self.status.unwatch(self.job_id)
            if self.last_end is None or self.last_end.job_id != self.job_id:
                self.last_end = await self._job_end(self.job_id)
                self.log.warning("%s: %s", self._log_name, self.last_end_message)
            return 1
        if info.running and self.port_reported:
            return None
        if (info.waiting or info.running) and self._start_failed:
            return None  # this hub process started it and the start failed: stop() cancels
        if info.waiting or info.running:
            # alive, but its server never reported to this hub process: the hub restarted
            # while it was queued or starting. Let the hub stop it without cancelling; a
            # re-attaching spawn adopts the job (see reattach.py).
            self.adopt_job_id = self.job_id
            self._respawn_wanted = True
            self._revoke_token(self.token_id)  # the re-attaching spawn issues a fresh one
            return 0
        return None  # suspended and the like: still holds its allocation

    async def _job_end(self, job_id: str) -> JobEnd:
        """What Slurm and the job log say about a job that ended on its own."""
        record = await self.slurm.describe(job_id)
        by = await self.slurm.cancelled_by(job_id) \
            if record.get("JobState") == "CANCELLED" else None
        try:
            log_tail = await self.home_files.tail(self.paths.log(job_id))
        except (RuntimeError, TimeoutError) as e:
            log_tail = f"(cannot read the job log: {e})"
        return job_end(job_id, record, cancelled_by=by, log_tail=log_tail)

    async def stop(self, now=False):
        if self._address is not None and not self._address.done():
            self._address.cancel()
        ids = [j for j in {self.job_id, self.adopt_job_id} if j]
        if self.submit_nonce and not self.job_id:
            ids += await self._lost_submission()
        cancelled = []
        for job_id in ids:
            try:
                await self.slurm.cancel(job_id, user=self.user.name)
                cancelled.append(job_id)
            except (SlurmError, TimeoutError, IdentityError) as e:
                # the job stays known (pending_cancel), retried; the sweep sees it too
                self.log.error("%s: cannot cancel job %s (%s); will try again",
                               self._log_name, job_id, e)
                self.pending_cancel.append({
                    "job_id": job_id, "token_id": self.token_id,
                    "token_created": token_created(self._session, self.token_id)})
        self.adopt_job_id = None
        if len(cancelled) < len(ids):
            self._save_state()
            self._schedule_cancels()
            return
        self._revoke_token(self.token_id)
        await startwatch.wait_gone(self.status, cancelled, timeout=60)
        try:
            await self.home_files.remove(self.paths.env)
        except (RuntimeError, TimeoutError) as e:
            self.log.warning("%s: %s", self._log_name, e)

    def _schedule_cancels(self) -> None:
        async def cancel(job_id):
            await self.slurm.cancel(job_id, user=self.user.name)

        async def gone(job_id):
            info = await self.status.get(job_id, max_age=0)
            return info is None or not info.active

        cancelling.schedule(id(self), cancelling.Retry(
            pending=lambda: self.pending_cancel, cancel=cancel, gone=gone,
            finish=self._cancelled_after_all,
            log=lambda text: self.log.warning("%s: %s", self._log_name, text)))

    async def _cancelled_after_all(self, entry: dict) -> None:
        """A job a stop could not cancel is gone: its token goes, its env file too if
        no newer server has it."""
        self.status.unwatch(entry["job_id"])
        if entry.get("token_id") != self.token_id and entry.get("token_created"):
            self._revoke_token(entry["token_id"], entry["token_created"])  # that very token
        if not (self.job_id or self.progress_events.starting or self.submit_nonce):
            try:
                await self.home_files.remove(self.paths.env)
            except (RuntimeError, TimeoutError) as e:
                self.log.warning("%s: %s", self._log_name, e)
        self.pending_cancel = [e for e in self.pending_cancel if e is not entry]
        self._save_state()
        self.log.info("%s: job %s cancelled after all", self._log_name, entry["job_id"])

    def _job(self, choice, site):
        return notebook_job(
            site, image=choice.image, engine=choice.runtime, resources=choice.resources,
            user=self.user.name, paths=self.paths, args=tuple(self.get_args()),
            name=job_name(self.job_name_prefix, self.name), comment=self._marker(),
            report_timeout=self.report_timeout, walltime_warning=self.walltime_warning,
            extra_sbatch=tuple(self.extra_sbatch_args), cmd=tuple(self.cmd or ()),
            proof=self.verify_listener)

    def _marker(self, nonce: str | None = None) -> str:
        return marker(self.job_name_prefix, self.user.name, self.name, nonce)

    def _listener_ssl(self):
        if not self.internal_ssl:  # as JupyterHub's own check of the server (User.spawn)
            return None
        s = self.user.settings
        return make_ssl_context(s.get("internal_ssl_key"), s.get("internal_ssl_cert"),
                                cafile=s.get("internal_ssl_ca"))

    async def _lost_submission(self) -> list[str]:
        """A start stopped while its sbatch's answer was outstanding: its job, if any."""
        try:
            found = await submission.find_submitted(
                self.slurm, self.user.name, job_name(self.job_name_prefix, self.name),
                self._marker(self.submit_nonce))
        except (SlurmError, TimeoutError):
            return []  # the sweep will find it
        return [found] if found else []
