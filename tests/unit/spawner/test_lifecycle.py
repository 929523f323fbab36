"""FunicularSpawner's start, poll and stop, driven for real on the event loop.

Real: JupyterHub's orm on an in-memory SQLite database (the user, the server's row,
its API token) and JupyterHub's ``User`` wrapper, which builds the spawner from the
hub's config and loads its saved state; the spawner's own code end to end, with the
real status cache (core/slurm/status.py) and cluster view; the home-file helper
(``python -m funicular.core.userfiles prepare -``, ``remove``, ``tail``) run as a
process of the current user (``become = "none"``) in a temporary home inside the
current user's passwd home (where the helper lets itself write); the listener proof
over HTTP on loopback.

Stand-ins, for what cannot run in a unit test:
- ``FakeSlurm``: an in-memory cluster implementing core.slurm.backend.SlurmBackend
  (submit, cancel, query, describe, job, active_jobs, the cluster view...), put in
  place of ``spawner.shared.backend``. Its one node is called ``127.0.0.1``, the
  loopback address, so the address check resolves it for real.
- ``_Spawner``: FunicularSpawner with ``_home`` pointing at the temporary home (the
  site's passwd would say the user's real home) and no orphan sweep (the sweep runs
  as a task of its own; test_orphans.py tests it).
- the notebook server: a tornado handler on loopback answering the listener proof
  with the token it reads from the env file the spawner had written; the address
  report is ``accept_address`` called as the hub's handler calls it (its HTTP side
  is in test_handlers.py).
"""

import asyncio
import os
import pwd
import shutil
import stat
import tempfile
from types import SimpleNamespace

import pytest
from jupyterhub import orm
from jupyterhub.objects import Hub
from jupyterhub.user import User
from tornado import httpserver, netutil, web
from traitlets.config import Config

from funicular.core import envfile, listener
from funicular.core.errors import SlurmError
from funicular.core.hubapi import HUB_API_TOKEN, JOB_SITE
from funicular.core.jobs import JobSite
from funicular.core.slurm.argv import sbatch_argv
from funicular.core.slurm.backend import SlurmBackend
from funicular.core.slurm.cluster import Node, Partition
from funicular.core.slurm.jobinfo import JobInfo, QueuedJob
from funicular.spawner import FunicularSpawner, cancelling, reattach, shared
from funicular.spawner.spawner import LAUNCH_SCRIPT
from funicular.spawner.submission import nonce_of

ME = pwd.getpwuid(os.getuid()).pw_name
NODE = "127.0.0.1"
END = "2030-01-01T12:00:00"
SERVER_DIR = ".funicular/servers/default"


class FakeSlurm:
    """An in-memory cluster with the SlurmBackend interface (see the docstring)."""

    timeout = 5.0

    def __init__(self):
        self.jobs: dict[str, dict] = {}  # what slurmctld knows, ended jobs included
        self.records: dict[str, dict] = {}  # describe(): the record of an ended job
        self.submits: list[tuple] = []  # (job, user, script)
        self.cancels: list[tuple] = []  # (job_id, user)
        self.cancel_error: Exception | None = None
        self.on_submit = lambda: None

    async def submit(self, job, *, user, script, home=None):
        self.on_submit()
        job_id = str(4700 + len(self.submits) + len(self.jobs))
        self.submits.append((job, user, script))
        self.add(job_id, user, name=job.name, comment=job.comment)
        return job_id

    def add(self, job_id, user, state="PENDING", name="x", comment=""):
        self.jobs[job_id] = {"state": state, "user": user, "name": name, "comment": comment}

    def run(self, job_id):
        self.jobs[job_id]["state"] = "RUNNING"

    def end(self, job_id, state, **record):
        self.jobs[job_id]["state"] = state
        self.records[job_id] = {"JobState": state, **record}

    async def cancel(self, job_id, *, user, signal=None):
        if self.cancel_error is not None:
            raise self.cancel_error
        self.cancels.append((job_id, user))
        if job_id in self.jobs:
            self.end(job_id, "CANCELLED")

    async def query(self, job_ids):
        out = {}
        for j in job_ids:
            if (d := self.jobs.get(j)) is not None:
                node = NODE if d["state"] == "RUNNING" else None
                out[j] = JobInfo(j, d["state"], None, node, node, None,
                                 END if node else None, d["user"], "")
        return out

    async def describe(self, job_id):
        return dict(self.records.get(job_id, {}))

    async def cancelled_by(self, job_id):
        return None

    async def accounting(self, job_id):
        return []

    async def job(self, job_id):
        d = self.jobs.get(job_id)
        return QueuedJob(job_id, d["user"], 0.0, d["name"], d["comment"], d["state"]) \
            if d else None

    async def active_jobs(self):
        return [q for j in self.jobs if (q := await self.job(j)).state in ("PENDING", "RUNNING")]

    async def jobs_of(self, users):
        return [q for q in await self.active_jobs() if q.user in users]

    async def partitions(self):
        return [Partition("mc", True, True, False, 600, 60, 4, None, (), None)]

    async def nodes(self):
        return [Node("n1", ("mc",), "IDLE", 8, 0, 16000, 0, 0, 0)]

    async def reservations(self):
        return []

    async def associations(self):
        return []


class _Spawner(FunicularSpawner):
    home = ""  # the temporary home (set per test)

    @property
    def _home(self):
        return self.home

    def start_sweep(self, proxy, session):
        pass


def _config() -> Config:
    c = Config()
    s = c.FunicularSpawner
    s.become = "none"  # the helper runs as the current user
    s.min_uid, s.system_uid_ranges = 0, []  # which may be root in a container
    s.images = {"notebook": "/apps/images/notebook"}
    s.image_check = "off"
    s.start_poll_interval = s.status_interval = 0.05
    s.http_timeout = 10
    s.slurm_timeout = 20  # the helper process
    return c


async def until(condition, timeout=10.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := condition()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)
    return value


@pytest.fixture
def home(monkeypatch):
    try:
        path = tempfile.mkdtemp(prefix="funicular-test-", dir=pwd.getpwuid(os.getuid()).pw_dir)
    except OSError as e:
        pytest.skip(f"cannot make a home inside the passwd home: {e}")
    monkeypatch.setattr(_Spawner, "home", path)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def slurm(monkeypatch):
    fake = FakeSlurm()
    monkeypatch.setattr(shared, "backend", lambda settings: fake)
    monkeypatch.setattr(shared, "_status", {})
    monkeypatch.setattr(shared, "_cluster", {})
    return fake


@pytest.fixture
def hub(home, slurm):
    db = orm.new_session_factory("sqlite://")()
    db.add(orm.OAuthClient(identifier="jupyterhub"))
    row = orm.User(name=ME)
    db.add(row)
    db.commit()
    settings = {"spawner_class": _Spawner, "hub": Hub(), "config": _config()}
    servers = []
    yield SimpleNamespace(db=db, row=row, slurm=slurm, home=home, servers=servers,
                          user=lambda: User(row, settings))  # a new one: a restarted hub
    for s in servers:
        s.stop()
    db.close()


def spawner(hub, user=None) -> _Spawner:
    """The default server's spawner with a fresh token and server row, as User.spawn
    prepares it."""
    user = user or hub.user()
    sp = user.spawners[""]
    sp.api_token = hub.row.new_api_token(note=f"Server at {user.url}")
    sp.orm_spawner.server = orm.Server(base_url=user.url)
    hub.db.commit()
    return sp


def notebook_server(hub, base_url: str) -> int:
    """The server in the job: it proves its token, read from its env file."""
    env_file = f"{hub.home}/{SERVER_DIR}/env"

    class Proof(web.RequestHandler):
        def get(self):
            token = envfile.read(env_file)[HUB_API_TOKEN]
            self.write({"proof": listener.proof(token, self.get_argument("nonce"))})

    app = web.Application([(f"{base_url}{listener.PATH}", Proof)])
    sock, = netutil.bind_sockets(0, NODE)
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    hub.servers.append(server)
    return sock.getsockname()[1]


def saved(hub, sp) -> dict:
    """The server's state as committed to the database."""
    hub.db.expire(sp.orm_spawner)
    return sp.orm_spawner.state or {}


async def started(hub, sp) -> tuple[str, str, int]:
    task = asyncio.ensure_future(sp.start())
    job_id = await until(lambda: task.done() or sp.job_id)
    assert not task.done(), task.exception()
    hub.slurm.run(job_id)
    port = notebook_server(hub, sp.server.base_url)
    assert await sp.accept_address(NODE, port) == (200, "ok")
    return await asyncio.wait_for(task, 20), job_id, port


async def test_start_submits_one_job_that_gets_its_token_only_through_the_env_file(hub):
    sp = spawner(hub)
    at_submit = []
    hub.slurm.on_submit = lambda: at_submit.append(saved(hub, sp))
    task = asyncio.ensure_future(sp.start())
    job_id = await until(lambda: sp.job_id)
    # sbatch's answer is in the database before the server even runs
    assert saved(hub, sp)["job_id"] == job_id
    hub.slurm.run(job_id)
    port = notebook_server(hub, sp.server.base_url)
    assert await sp.accept_address(NODE, port) == (200, "ok")
    assert await asyncio.wait_for(task, 20) == f"http://{NODE}:{port}"

    (job, user, script), = hub.slurm.submits
    assert (user, script) == (ME, LAUNCH_SCRIPT)
    assert job.name == "funicular-default" and job.workdir == hub.home
    assert job.output == f"{hub.home}/{SERVER_DIR}/slurm-%j.log"
    assert job.comment.startswith(f"funicular funicular {ME}/ ")
    # the nonce was saved before sbatch ran: a hub dying during sbatch still knows it
    assert at_submit[0]["submit_nonce"] == nonce_of(job.comment)
    assert "funicular-singleuser" in job.command
    assert f"--env-file={SERVER_DIR}/env" in job.command
    token = sp.api_token
    assert token not in " ".join([*sbatch_argv(job, script), job.comment, job.name])

    env_file = f"{hub.home}/{SERVER_DIR}/env"
    assert stat.S_IMODE(os.stat(env_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(env_file)).st_mode) == 0o700
    env = envfile.read(env_file)
    assert env[HUB_API_TOKEN] == token
    assert JobSite.from_json(env[JOB_SITE]).host_home == hub.home

    state = saved(hub, sp)
    assert (state["job_id"], state["host"], state["port"]) == (job_id, NODE, port)
    assert state["token_id"] == orm.APIToken.find(hub.db, token).id
    assert state["end_time"] == END and "submit_nonce" not in state
    assert any(e["message"].startswith(f"Submitted Slurm job {job_id}")
               for e in sp.progress_events.events)


async def test_a_job_that_ends_before_reporting_fails_the_start(hub):
    sp = spawner(hub)
    task = asyncio.ensure_future(sp.start())
    job_id = await until(lambda: sp.job_id)
    hub.slurm.end(job_id, "FAILED")
    with pytest.raises(RuntimeError) as e:
        await asyncio.wait_for(task, 20)
    assert f"Slurm job {job_id} ended" in str(e.value) and "FAILED" in str(e.value)
    assert f"{hub.home}/{SERVER_DIR}/slurm-{job_id}.log" in str(e.value)


@pytest.mark.parametrize(("options", "field"), [
    ({"profile": "gpu-48h"}, "profile"),
    ({"colour": "red"}, "user_options"),
    ({"cpus": 0}, "CPUs"),
])
async def test_refused_options_are_400_and_the_last_accepted_come_back(hub, options, field):
    from tornado.web import HTTPError

    sp = spawner(hub)
    sp.accepted_options = {"profile": "mc-1h"}
    sp.user_options = sp.orm_spawner.user_options = options  # as JupyterHub stores them
    hub.db.commit()
    with pytest.raises(HTTPError) as e:
        await sp.start()
    assert e.value.status_code == 400 and f"{field}: " in e.value.log_message
    hub.db.expire(sp.orm_spawner)
    assert sp.orm_spawner.user_options == {"profile": "mc-1h"}
    assert hub.slurm.submits == [] and os.listdir(hub.home) == []


async def test_poll_says_running_then_why_the_job_ended(hub):
    sp = spawner(hub)
    _, job_id, _ = await started(hub, sp)
    assert await sp.poll() is None
    log = f"{hub.home}/{SERVER_DIR}/slurm-{job_id}.log"
    with open(log, "w") as f:
        f.write("starting\nslurmstepd: *** JOB CANCELLED DUE TO TIME LIMIT ***\n")
    hub.slurm.end(job_id, "TIMEOUT", TimeLimit="01:00:00", BatchHost="n1", Reason="None")
    await sp.status.refresh()
    assert await sp.poll() == 1
    end = sp.last_end
    assert (end.job_id, end.state, end.time_limit, end.node, end.reason) == \
        (job_id, "TIMEOUT", "01:00:00", "n1", None)
    assert end.log_tail.endswith("DUE TO TIME LIMIT ***")
    assert "time limit of 01:00:00" in sp.last_end_message
    assert sp.get_state()["last_end"]["state"] == "TIMEOUT"
    assert hub.slurm.cancels == []


async def test_after_a_hub_restart_an_alive_job_is_handed_over_not_cancelled(hub, monkeypatch):
    respawns = []
    monkeypatch.setattr(reattach, "schedule_respawn", lambda u, n: respawns.append((u.name, n)))
    old_token = hub.row.new_api_token(note="the server's token before the restart")
    tid = orm.APIToken.find(hub.db, old_token).id
    hub.slurm.add("4242", ME, state="PENDING")
    orm_spawner = hub.user().spawners[""].orm_spawner
    orm_spawner.state = {"job_id": "4242", "token_id": tid}
    hub.db.commit()

    sp = hub.user().spawners[""]  # the restarted hub's: no report in this process
    assert sp.job_id == "4242"
    assert await sp.poll() == 0
    assert sp.adopt_job_id == "4242" and hub.slurm.cancels == []
    assert orm.APIToken.find(hub.db, old_token) is None  # the re-attaching spawn gets its own
    sp.clear_state()
    assert respawns == [(ME, "")]
    assert (sp.job_id, sp.adopt_job_id) == (None, "4242")


@pytest.mark.parametrize("alive", [True, False])
async def test_a_reattaching_start_adopts_an_alive_job_without_a_new_submit(hub, alive):
    hub.slurm.add("4242", ME, state="PENDING" if alive else "COMPLETED")
    orm_spawner = hub.user().spawners[""].orm_spawner
    orm_spawner.state = {"adopt_job_id": "4242"}
    hub.db.commit()
    sp = spawner(hub)
    url, job_id, port = await started(hub, sp)
    assert url == f"http://{NODE}:{port}"
    if alive:
        assert job_id == "4242" and hub.slurm.submits == []
        assert any(e["message"] == "Re-attached to Slurm job 4242"
                   for e in sp.progress_events.events)
    else:
        assert job_id != "4242" and len(hub.slurm.submits) == 1
    assert "adopt_job_id" not in saved(hub, sp)


async def test_stop_cancels_as_the_user_and_cleans_up(hub):
    sp = spawner(hub)
    _, job_id, _ = await started(hub, sp)
    token = sp.api_token
    await sp.stop()
    assert hub.slurm.cancels == [(job_id, ME)]
    assert not os.path.exists(f"{hub.home}/{SERVER_DIR}/env")
    assert orm.APIToken.find(hub.db, token) is None
    assert sp.status.watched() == set()


async def test_a_stop_that_cannot_cancel_keeps_the_job_until_a_retry_does(hub, monkeypatch):
    monkeypatch.setattr(cancelling, "DELAYS", (0.02,))
    sp = spawner(hub)
    _, job_id, _ = await started(hub, sp)
    token = sp.api_token
    personal = hub.row.new_api_token(note="the user's own")
    hub.slurm.cancel_error = SlurmError("slurmctld does not answer")
    await sp.stop()
    # as JupyterHub goes on after any stop: clear the state and save it
    sp.clear_state()
    sp.orm_spawner.state = sp.get_state()
    hub.db.commit()
    state = saved(hub, sp)
    assert "job_id" not in state
    assert [e["job_id"] for e in state["pending_cancel"]] == [job_id]
    assert state["pending_cancel"][0]["token_id"] == orm.APIToken.find(hub.db, token).id
    assert os.path.exists(f"{hub.home}/{SERVER_DIR}/env")
    await asyncio.sleep(0.1)  # the retries fail meanwhile
    assert hub.slurm.cancels == [] and sp.pending_cancel

    hub.slurm.cancel_error = None
    await until(lambda: not sp.pending_cancel)
    assert hub.slurm.cancels[0] == (job_id, ME)
    assert orm.APIToken.find(hub.db, token) is None
    assert orm.APIToken.find(hub.db, personal) is not None
    assert not os.path.exists(f"{hub.home}/{SERVER_DIR}/env")
    assert "pending_cancel" not in saved(hub, sp)


def test_the_stand_in_follows_the_slurm_interface():
    assert isinstance(FakeSlurm(), SlurmBackend)
