"""The instructor page: a JupyterHub service (``/services/workshop/``).

    python -m funicular.workshop.service --group workshop [--profile workshop-hpc101]
        [--slurm-backend rest --slurmrestd-jwt-key /etc/slurm/jwt_hs256.key]

Every participant with server state, queue reason, node, start time and last
activity; start all, stop all, stop one; and *end the workshop*: stop every server,
then wait until Slurm holds no job of any participant (no allocation left behind).
Instructors log in with the hub's OAuth; the hub lets in only those whose role grants
``access:services!service=workshop``. Slurm is asked through the same backend as the
spawner's (``--slurm-backend``): with slurmrestd, the hub host needs no Slurm commands.
"""

import argparse
import asyncio
import html
import json
import logging
import os
import pathlib
import time
from urllib.parse import urlsplit

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop

from funicular.core.errors import SlurmError
from funicular.core.hubapi import HUB_SERVICE_PREFIX, HUB_SERVICE_URL, HubClient, HubError
from funicular.core.slurm import JobInfo, SlurmBackend, SlurmSettings, make_backend

from . import roster
from .participants import Participants

TEMPLATES = pathlib.Path(__file__).parent / "templates"
log = logging.getLogger("funicular.workshop")
END_TIMEOUT = 300.0  # seconds end-of-workshop waits for Slurm to release everything
END_POLL = 1.0  # seconds between its looks


class Room:
    """What the page and its API act on: the group's servers, through the hub, and
    their jobs, through the Slurm backend."""

    def __init__(self, participants: Participants, profile: str | None,
                 slurm: SlurmBackend):
        self.participants, self.profile, self.slurm = participants, profile, slurm
        self._pending: set[asyncio.Task] = set()
        self._known: dict[str, JobInfo] = {}  # Slurm's last answer, per job
        self.slurm_note = ""  # why the table shows that last answer, if it does

    @property
    def group(self) -> str:
        return self.participants.group

    async def table(self) -> list[dict]:
        users = await self.participants.list()
        job_ids = [str(s["state"]["job_id"]) for u in users
                   for s in (u.get("servers") or {}).values()
                   if (s.get("state") or {}).get("job_id")]
        return roster.rows(users, await self._jobs(job_ids))

    async def _jobs(self, job_ids: list[str]) -> dict[str, JobInfo]:
        """Slurm's view of the jobs; when slurmctld is too busy to answer (a room of
        starts), its last answer, said so on the page, rather than a table gone blank."""
        try:
            jobs = await self.slurm.query(job_ids)
        except SlurmError as e:
            if not self.slurm_note:
                log.warning("workshop: Slurm did not answer, showing its last answer: %s", e)
            self.slurm_note = (f"Slurm did not answer at {time.strftime('%H:%M:%S')}; "
                               "queue state and nodes are as it last said")
            return {j: self._known[j] for j in job_ids if j in self._known}
        self._known, self.slurm_note = jobs, ""
        return jobs

    async def start_all(self) -> list[str]:
        """Asks the hub to start every participant without a server, and answers at once:
        the hub takes up to its slow-spawn timeout per request, and the roster shows
        the rest."""
        todo = [r["name"] for r in await self.table() if r["status"] == "no server"]
        options = {"profile": self.profile} if self.profile else {}
        for user in todo:
            task = asyncio.ensure_future(self.participants.start(user, options))
            self._pending.add(task)
            task.add_done_callback(self._started)
        return todo

    def _started(self, task: asyncio.Task) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("workshop: a start failed: %s", task.exception())

    async def stop(self, users: list[str]) -> list[str]:
        await asyncio.gather(*(self.participants.stop(u) for u in users))
        return users

    async def stop_all(self) -> list[str]:
        return await self.stop([r["name"] for r in await self.table()
                                if r["status"] != "no server"])

    async def end(self) -> dict:
        """Every server stopped, and no participant's job left in Slurm."""
        stopped = await self.stop_all()
        users = [u["name"] for u in await self.participants.list()]
        deadline = time.monotonic() + END_TIMEOUT
        while True:
            left = await self._jobs_left(users)
            if not left or time.monotonic() > deadline:
                return {"stopped": stopped, "jobs_left": left}
            await asyncio.sleep(END_POLL)

    async def _jobs_left(self, users: list[str]) -> list[str]:
        """"ID USER" of each job a participant still holds (completing ones too)."""
        jobs = await self.slurm.jobs_of(users) if users else []
        by_id = sorted(jobs, key=lambda j: (len(j.job_id), j.job_id))  # numerically
        return [f"{j.job_id} {j.user}" for j in by_id]


class _Base(HubOAuthenticated, web.RequestHandler):
    @property
    def workshop(self) -> Room:
        return self.settings["workshop"]

    def write_json(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class PageHandler(_Base):
    @web.authenticated
    def get(self):
        page = (TEMPLATES / "instructor.html").read_text()
        self.finish(page.replace("{{group}}", html.escape(self.workshop.group))
                    .replace("{{xsrf}}", self.xsrf_token.decode())  # hex and "|" only
                    .replace("{{instructor}}", html.escape(self.current_user["name"])))


class RosterHandler(_Base):
    @web.authenticated
    async def get(self):
        table = await self.workshop.table()
        self.write_json({"summary": roster.summary(table, self.workshop.slurm_note),
                         "participants": table})


class ActionHandler(_Base):
    @web.authenticated
    async def post(self, action, user=None):
        w = self.workshop
        try:
            if action == "start-all":
                self.write_json({"started": await w.start_all()}, 202)
            elif action == "stop-all":
                self.write_json({"stopped": await w.stop_all()}, 202)
            elif action == "stop":
                names = [r["name"] for r in await w.table()]
                if user not in names:
                    raise web.HTTPError(404, f"{user} is not a participant")
                self.write_json({"stopped": await w.stop([user])}, 202)
            else:  # end
                self.write_json(await w.end())
        except (HubError, SlurmError) as e:
            raise web.HTTPError(502, str(e)) from None


def make_app(workshop: Room, prefix: str) -> web.Application:
    return web.Application([
        (prefix, PageHandler),
        (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        (url_path_join(prefix, "api/roster"), RosterHandler),
        (url_path_join(prefix, r"api/(start-all|stop-all|end)"), ActionHandler),
        (url_path_join(prefix, r"api/(stop)/([a-z_][a-z0-9_-]{0,31})"), ActionHandler),
    # no xsrf_cookies: HubOAuth checks the XSRF token itself for cookie-authenticated
    # requests (the page sends it), and requests with a token need none
    ], workshop=workshop, cookie_secret=os.urandom(32))


def _end_with_the_hub() -> None:
    """A hub that ends without stopping its services (killed, or one that waited too
    long for them) leaves them running: the kernel ends this one with its parent, the
    hub (PR_SET_PDEATHSIG), so that no orphan holds the port for the next hub."""
    import ctypes
    import signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        raise SystemExit("the hub is already gone")


def _stop_on_signals(loop: IOLoop) -> None:
    """JupyterHub stops a service with SIGINT first. One started from a background
    shell inherits SIGINT ignored, and the hub's shutdown then waited half a minute
    for it: both SIGINT and SIGTERM end the loop, whatever was inherited."""
    import signal
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: loop.add_callback_from_signal(loop.stop))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="funicular-workshop", description=__doc__.split("\n")[0])
    p.add_argument("--group", required=True, help="the JupyterHub group of participants")
    p.add_argument("--profile", help="the profile to start servers with (the workshop's)")
    s = p.add_argument_group("Slurm", "as the spawner's settings of the same names")
    s.add_argument("--slurm-backend", choices=("cli", "rest"), default="cli",
                   help="'cli': squeue on this host; 'rest': slurmrestd (default: %(default)s)")
    s.add_argument("--slurm-timeout", type=float, default=30,
                   help="seconds Slurm may take to answer (default: %(default)s)")
    s.add_argument("--squeue", default="squeue", help="the squeue command (cli)")
    s.add_argument("--slurmrestd-url", default=SlurmSettings.slurmrestd_url,
                   help="slurmrestd's base URL (rest; default: %(default)s)")
    s.add_argument("--slurmrestd-jwt-key", default="",
                   help="slurmctld's HS256 JWT key file, readable by the hub's user (rest)")
    s.add_argument("--slurmrestd-token-file", default="",
                   help="instead of the key: a file holding a Slurm operator's token (rest)")
    s.add_argument("--slurmrestd-service-user", default=SlurmSettings.service_user,
                   help="the Slurm user queries act as (rest; default: %(default)s)")
    return p


def slurm_settings(a: argparse.Namespace) -> SlurmSettings:
    """The service runs as the hub's user and only reads: it never acts as anyone."""
    return SlurmSettings(kind=a.slurm_backend, timeout=a.slurm_timeout, become="none",
                         squeue=a.squeue, slurmrestd_url=a.slurmrestd_url,
                         jwt_key=a.slurmrestd_jwt_key, token_file=a.slurmrestd_token_file,
                         service_user=a.slurmrestd_service_user)


def main(argv: list[str] | None = None) -> None:
    _end_with_the_hub()
    p = parser()
    a = p.parse_args(argv)
    try:
        slurm = make_backend(slurm_settings(a))
    except ValueError as e:
        p.error(str(e))
    prefix = os.environ.get(HUB_SERVICE_PREFIX, "/services/workshop/")
    url = urlsplit(os.environ[HUB_SERVICE_URL])
    logging.basicConfig(level=logging.INFO)
    # a room starts and stops at once: one connection to the hub per participant
    AsyncHTTPClient.configure(None, max_clients=256)
    workshop = Room(Participants(HubClient.from_env(), a.group), a.profile, slurm)
    make_app(workshop, prefix).listen(url.port, url.hostname)
    loop = IOLoop.current()
    _stop_on_signals(loop)
    loop.start()


if __name__ == "__main__":
    main()
