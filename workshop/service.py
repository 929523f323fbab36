"""The instructor page: a JupyterHub service (``/services/workshop/``).

    python -m funicular.workshop.service --group workshop [--profile workshop-hpc101]

Every participant with server state, queue reason, node, start time and last
activity; start all, stop all, stop one; and *end the workshop*: stop every server,
then wait until Slurm holds no job of any participant (no allocation left behind).
Instructors log in with the hub's OAuth; the hub lets in only those whose role grants
``access:services!service=workshop``.
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

from funicular.core import proc
from funicular.core.errors import SlurmError
from funicular.core.slurm import SlurmCLI
from funicular.core.slurm.jobinfo import JobInfo

from . import roster
from .hubapi import HubAPI, HubError

TEMPLATES = pathlib.Path(__file__).parent / "templates"
log = logging.getLogger("funicular.workshop")
END_TIMEOUT = 300.0  # seconds end-of-workshop waits for Slurm to release everything


class Room:
    """What the page and its API act on: the group's servers, through the hub."""

    def __init__(self, group: str, profile: str | None, hub: HubAPI, slurm: SlurmCLI):
        self.group, self.profile, self.hub, self.slurm = group, profile, hub, slurm
        self._pending: set[asyncio.Task] = set()
        self._known: dict[str, JobInfo] = {}  # Slurm's last answer, per job
        self.slurm_note = ""  # why the table shows that last answer, if it does

    async def table(self) -> list[dict]:
        users = await self.hub.participants(self.group)
        job_ids = [str(s["state"]["job_id"]) for u in users
                   for s in (u.get("servers") or {}).values()
                   if (s.get("state") or {}).get("job_id")]
        return roster.rows(users, await self._jobs(job_ids))

    async def _jobs(self, job_ids: list[str]) -> dict[str, JobInfo]:
        """Slurm's view of the jobs; when slurmctld is too busy to answer (a room of
        starts), its last answer, said so on the page, rather than a table gone blank."""
        try:
            jobs = await self.slurm.query(job_ids)
        except (SlurmError, TimeoutError) as e:
            if not self.slurm_note:
                log.warning("workshop: Slurm did not answer, showing its last answer: %s",
                            e or "timed out")
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
            task = asyncio.ensure_future(self.hub.start(user, options))
            self._pending.add(task)
            task.add_done_callback(self._started)
        return todo

    def _started(self, task: asyncio.Task) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("workshop: a start failed: %s", task.exception())

    async def stop(self, users: list[str]) -> list[str]:
        await asyncio.gather(*(self.hub.stop(u) for u in users))
        return users

    async def stop_all(self) -> list[str]:
        return await self.stop([r["name"] for r in await self.table()
                                if r["status"] != "no server"])

    async def end(self) -> dict:
        """Every server stopped, and no participant's job left in Slurm."""
        stopped = await self.stop_all()
        users = [u["name"] for u in await self.hub.participants(self.group)]
        deadline = time.monotonic() + END_TIMEOUT
        while True:
            left = await self._jobs_left(users)
            if not left or time.monotonic() > deadline:
                return {"stopped": stopped, "jobs_left": left}
            await asyncio.sleep(1)

    async def _jobs_left(self, users: list[str]) -> list[str]:
        if not users:
            return []
        argv = [self.slurm.squeue, "--local", "--noheader", "--states=PD,CF,R,CG,S",
                f"--users={','.join(users)}", "--format=%i %u"]
        res = await proc.run(argv, timeout=30, env=proc.which_env())
        if res.returncode != 0:
            raise SlurmError(res.stderr.strip())
        return [line.strip() for line in res.stdout.splitlines() if line.strip()]


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


def main(argv: list[str] | None = None) -> None:
    _end_with_the_hub()
    p = argparse.ArgumentParser(prog="funicular-workshop", description=__doc__.split("\n")[0])
    p.add_argument("--group", required=True, help="the JupyterHub group of participants")
    p.add_argument("--profile", help="the profile to start servers with (the workshop's)")
    p.add_argument("--squeue", default="squeue")
    a = p.parse_args(argv)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/workshop/")
    url = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    logging.basicConfig(level=logging.INFO)
    # a room starts and stops at once: one connection to the hub per participant
    AsyncHTTPClient.configure(None, max_clients=256)
    workshop = Room(a.group, a.profile, HubAPI(), SlurmCLI(become="none", squeue=a.squeue))
    make_app(workshop, prefix).listen(url.port, url.hostname)
    loop = IOLoop.current()
    _stop_on_signals(loop)
    loop.start()


if __name__ == "__main__":
    main()
