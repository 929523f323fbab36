"""The workshop service against a stand-in hub on loopback: participants listed a page
at a time, servers stopped through the hub, and Slurm asked through the backend the
settings choose (never a command line of the service's own)."""

import json
import sys

import pytest
from tornado import httpserver, netutil, web

from funicular.core.hubapi import HubClient, HubError
from funicular.core.slurm import QueuedJob, SlurmCLI, make_backend
from funicular.core.slurm.rest import SlurmREST
from funicular.workshop import service
from funicular.workshop.participants import Participants
from funicular.workshop.service import Room, parser, slurm_settings

TOKEN = "service-token"


def _user(name, groups=("workshop",), job_id=None):
    servers = {"": {"ready": True, "state": {"job_id": job_id}}} if job_id else {}
    return {"name": name, "groups": list(groups), "servers": servers}


USERS = [_user("ws001", job_id="11"), _user("ws002"), _user("alice", ("instructors",)),
         _user("ws003", job_id="13")]


class _Hub(web.RequestHandler):
    def initialize(self, seen):
        self.seen = seen

    def prepare(self):
        self.seen.append((self.request.method, self.request.path))
        if self.request.headers.get("Authorization") != f"token {TOKEN}":
            raise web.HTTPError(403)

    def get(self):  # GET /hub/api/users, paginated as JupyterHub 5 does
        offset, limit = int(self.get_argument("offset")), int(self.get_argument("limit"))
        nxt = {"offset": offset + limit} if offset + limit < len(USERS) else None
        self.finish(json.dumps({"items": USERS[offset:offset + limit],
                                "_pagination": {"next": nxt}}))


class _Server(_Hub):
    def post(self, user):
        self.set_status(202)

    def delete(self, user):
        self.set_status(204 if user != "ws002" else 400)


@pytest.fixture
async def hub():
    """(a client of the stand-in hub, the requests it saw)."""
    seen = []
    app = web.Application([(r"/hub/api/users", _Hub, {"seen": seen}),
                           (r"/hub/api/users/([^/]+)/server", _Server, {"seen": seen})])
    (sock,) = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    yield HubClient(f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api", TOKEN), seen
    server.stop()


async def test_participants_are_the_groups_users_a_page_at_a_time(hub):
    client, seen = hub
    users = await Participants(client, "workshop", page_size=2).list()
    assert [u["name"] for u in users] == ["ws001", "ws002", "ws003"]
    assert seen == [("GET", "/hub/api/users")] * 2
    with pytest.raises(HubError) as e:
        await Participants(HubClient(client.url, "wrong"), "workshop").list()
    assert e.value.status == 403


class _Slurm:
    """Slurm's side, as a backend answers: jobs still held after each look."""

    def __init__(self, *answers):
        self.answers, self.asked = list(answers), []

    async def jobs_of(self, users):
        self.asked.append(sorted(users))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    async def query(self, job_ids):
        return {}


def _held(job_id, user):
    return QueuedJob(job_id, user, None, "funicular-x", "", "COMPLETING")


async def test_end_stops_every_server_and_waits_for_slurm_to_let_go(hub, monkeypatch):
    monkeypatch.setattr(service, "END_POLL", 0)
    client, seen = hub
    slurm = _Slurm([_held("13", "ws003"), _held("11", "ws001")], [_held("13", "ws003")], [])
    report = await Room(Participants(client, "workshop"), None, slurm).end()
    assert report == {"stopped": ["ws001", "ws003"], "jobs_left": []}
    assert ("DELETE", "/hub/api/users/ws001/server") in seen
    assert ("DELETE", "/hub/api/users/ws003/server") in seen
    assert ("DELETE", "/hub/api/users/ws002/server") not in seen  # no server to stop
    assert slurm.asked == [["ws001", "ws002", "ws003"]] * 3


async def test_end_says_which_jobs_slurm_still_holds_when_it_gives_up(hub, monkeypatch):
    monkeypatch.setattr(service, "END_TIMEOUT", 0)
    client, _ = hub
    slurm = _Slurm([_held("13", "ws003"), _held("11", "ws001")])
    report = await Room(Participants(client, "workshop"), None, slurm).end()
    assert report["jobs_left"] == ["11 ws001", "13 ws003"]


async def test_the_room_asks_the_cli_backend_and_reads_its_json(hub, tmp_path, monkeypatch):
    """No squeue of the service's own: the backend's structured records, whatever a
    participant named a job."""
    monkeypatch.setattr(service, "END_TIMEOUT", 0)
    jobs = {"jobs": [
        {"job_id": 11, "user_name": "ws001", "job_state": "RUNNING", "name": "a\n99 ws002"},
        {"job_id": 12, "user_name": "ws002", "job_state": "CANCELLED", "name": "b"},
        {"job_id": 14, "user_name": "alice", "job_state": "RUNNING", "name": "c"}]}
    squeue = tmp_path / "squeue"
    squeue.write_text(f"#!{sys.executable}\nprint({json.dumps(jobs)!r})\n")
    squeue.chmod(0o755)
    a = parser().parse_args(["--group", "workshop", "--squeue", str(squeue)])
    slurm = make_backend(slurm_settings(a))
    client, _ = hub
    report = await Room(Participants(client, "workshop"), None, slurm).end()
    assert report["jobs_left"] == ["11 ws001"]


def test_the_service_reads_slurm_as_the_spawner_does(tmp_path):
    b = make_backend(slurm_settings(parser().parse_args(
        ["--group", "w", "--squeue", "/opt/slurm/bin/squeue", "--slurm-timeout", "12"])))
    assert isinstance(b, SlurmCLI)
    assert (b.squeue, b.become, b.timeout) == ("/opt/slurm/bin/squeue", "none", 12)
    token = tmp_path / "token"
    token.write_text("t")
    b = make_backend(slurm_settings(parser().parse_args(
        ["--group", "w", "--slurm-backend", "rest", "--slurmrestd-url", "http://restd:6820",
         "--slurmrestd-token-file", str(token)])))
    assert isinstance(b, SlurmREST) and b.url == "http://restd:6820"
    assert b.service_user == "slurm"
    with pytest.raises(ValueError, match="slurmrestd_jwt_key or slurmrestd_token_file"):
        make_backend(slurm_settings(parser().parse_args(
            ["--group", "w", "--slurm-backend", "rest"])))
