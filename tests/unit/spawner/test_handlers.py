"""The hub's API for notebook jobs (spawner/handlers.py), served by a real tornado
Application on loopback and called with core.hubapi.HubClient, as the starter calls it.

Real: the handler classes and their routes (mounted under /hub as JupyterHub does),
JupyterHub's own APIHandler authentication (token -> orm.APIToken -> user) on a real
in-memory JupyterHub database, and FunicularSpawner as the class the handlers look for.

Stand-ins, for what a running JupyterHub would give a handler:
- ``settings["users"]``: maps the token's orm.User to a user object with only ``id``
  and ``spawners`` (JupyterHub's User wrapper needs a whole app);
- ``settings["hub"]``: only ``base_url`` and ``cookie_name``;
- ``_Server``: a FunicularSpawner whose methods the handlers call (accept_address,
  accept_listening, end_epoch, reset_material, ``active``) record their calls and
  answer what a test sets, so no Slurm is needed. ``slurm_token`` is the real one
  unless a test replaces it. It skips FunicularSpawner's ``__init__``, which wires
  Slurm, the caches and the sweep: nothing a handler touches.
"""

import os
from types import SimpleNamespace

import pytest
from jupyterhub import orm
from tornado import httpserver, netutil, web

from funicular.core.hubapi import (
    ROUTE_ADDRESS,
    ROUTE_LISTENING,
    ROUTE_MATERIAL_RESET,
    ROUTE_SLURM_TOKEN,
    ROUTE_UNICORE_TOKEN,
    HubClient,
    HubError,
)
from funicular.spawner import FunicularSpawner, handlers

ADDRESS = {"host": "10.0.0.5", "port": 40000}


class _Server(FunicularSpawner):
    """A FunicularSpawner that records what the handlers ask of it (see the docstring)."""

    active = True  # shadows Spawner.active (a property over the hub's records)

    def __init__(self):  # traits keep their defaults (HasTraits.__new__ sets them up)
        self.calls: list[tuple] = []
        self.answer = (200, "ok")

    async def accept_address(self, host, port):
        self.calls.append(("address", host, port))
        return self.answer

    def accept_listening(self, host, port):
        self.calls.append(("listening", host, port))
        return self.answer

    def end_epoch(self):
        return 1900000000.0

    async def reset_material(self):
        self.calls.append(("reset",))
        return {"handed_out": ["intro.ipynb"], "moved_to": "course.old"}


class _Users(dict):
    """settings["users"]: JupyterHub looks the token's orm.User up here."""

    def __getitem__(self, orm_user):
        return super().__getitem__(orm_user.id)


@pytest.fixture
def db():
    session = orm.new_session_factory("sqlite://")()
    session.add(orm.OAuthClient(identifier="jupyterhub"))  # tokens are issued for it
    session.commit()
    yield session
    session.close()


@pytest.fixture
def alice(db):
    """A user with two servers, each with its own token, and a token of her own."""
    row = orm.User(name="alice")
    db.add(row)
    db.commit()
    user = SimpleNamespace(id=row.id, name="alice", spawners={})
    tokens = {}
    for name in ("", "gpu"):
        tokens[name] = row.new_api_token(note=f"Server at /user/alice/{name}")
        server = _Server()
        server.token_id = orm.APIToken.find(db, tokens[name]).id
        user.spawners[name] = server
    tokens["personal"] = row.new_api_token(note="alice's own")
    user.tokens = tokens
    return user


@pytest.fixture
async def hub(db, alice):
    """The handlers at /hub/api/... on loopback; a client per token."""
    app = web.Application(
        [("/hub" + route, handler) for route, handler in handlers.HANDLERS],
        db=db, users=_Users({alice.id: alice}), cookie_secret=os.urandom(32),
        hub=SimpleNamespace(base_url="/hub/", cookie_name="jupyterhub-hub-login"))
    sock, = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api"
    yield lambda token: HubClient(url, token, timeout=5)
    server.stop()


async def _refused(client: HubClient, route: str, body=None) -> HubError:
    with pytest.raises(HubError) as e:
        await client.call("POST", route, body)
    return e.value


async def test_only_a_servers_own_token_is_heard(hub, alice):
    default, gpu = alice.spawners[""], alice.spawners["gpu"]
    for token in ("", "not-a-token", alice.tokens["personal"]):
        for route in (ROUTE_ADDRESS, ROUTE_LISTENING, ROUTE_SLURM_TOKEN, ROUTE_MATERIAL_RESET):
            e = await _refused(hub(token), route, ADDRESS)
            assert e.status == 403, (token, route)
    # a server of another kind with the same row id is not ours to answer for
    alice.spawners["other"] = SimpleNamespace(token_id=default.token_id)
    alice.spawners[""] = None
    assert (await _refused(hub(alice.tokens[""]), ROUTE_ADDRESS, ADDRESS)).status == 403
    assert default.calls == gpu.calls == []


async def test_the_right_server_gets_its_validated_address(hub, alice):
    answer = await hub(alice.tokens["gpu"]).call("POST", ROUTE_ADDRESS, ADDRESS)
    assert answer == {"status": "ok", "end_time": 1900000000.0}
    assert alice.spawners["gpu"].calls == [("address", "10.0.0.5", 40000)]
    assert alice.spawners[""].calls == []


async def test_the_spawners_refusal_is_the_answer(hub, alice):
    alice.spawners[""].answer = (503, "the job's id is not known yet")
    e = await _refused(hub(alice.tokens[""]), ROUTE_ADDRESS, ADDRESS)
    assert (e.status, e.message) == (503, "the job's id is not known yet")


@pytest.mark.parametrize(("body", "field"), [
    ({"host": "10.0.0.5; rm -rf /", "port": 40000}, "host"),
    ({"host": 5, "port": 40000}, "host"),
    ({"host": "10.0.0.5", "port": 80}, "port"),
    ({"host": "10.0.0.5", "port": "40000"}, "port"),
    ({"host": "10.0.0.5", "port": True}, "port"),
    ({**ADDRESS, "job_id": "12;3"}, "job_id"),
    ({**ADDRESS, "job_id": 123}, "job_id"),
    ({**ADDRESS, "ip": "10.0.0.6"}, "exactly"),
    ({"host": "10.0.0.5"}, "exactly"),
    ([], "exactly"),
])
async def test_a_bad_body_is_400_naming_what_is_wrong(hub, alice, body, field):
    for route in (ROUTE_ADDRESS, ROUTE_LISTENING):
        e = await _refused(hub(alice.tokens[""]), route, body)
        assert e.status == 400 and field in e.message, (route, e.message)
    assert alice.spawners[""].calls == []


async def test_not_json_is_400(hub, alice):
    from tornado.httpclient import AsyncHTTPClient

    client = hub(alice.tokens[""])
    e = await _refused(client, ROUTE_ADDRESS, None)  # an empty body: {} is not an address
    assert e.status == 400
    resp = await AsyncHTTPClient().fetch(
        client.url + ROUTE_ADDRESS, method="POST", body=b"host=10.0.0.5&port=40000",
        headers={"Authorization": f"token {client.token}"}, raise_error=False)
    assert resp.code == 400 and b"body must be JSON" in resp.body
    assert alice.spawners[""].calls == []


async def test_a_report_from_another_job_is_409(hub, alice):
    server = alice.spawners[""]
    server.job_id = "4711"
    client = hub(alice.tokens[""])
    for route in (ROUTE_ADDRESS, ROUTE_LISTENING):
        e = await _refused(client, route, {**ADDRESS, "job_id": "4712"})
        assert e.status == 409 and "4712" in e.message
    assert server.calls == []
    await client.call("POST", ROUTE_ADDRESS, {**ADDRESS, "job_id": "4711"})
    # sbatch's answer not back yet: the job cannot be told apart, accept_address decides
    server.job_id = None
    await client.call("POST", ROUTE_ADDRESS, {**ADDRESS, "job_id": "4712"})
    assert server.calls == [("address", "10.0.0.5", 40000)] * 2


async def test_listening(hub, alice):
    server = alice.spawners[""]
    client = hub(alice.tokens[""])
    assert await client.call("POST", ROUTE_LISTENING, ADDRESS) == {"status": "ok"}
    server.answer = (409, "this is not the address this server reported")
    e = await _refused(client, ROUTE_LISTENING, {**ADDRESS, "port": 40001})
    assert (e.status, e.message) == (409, "this is not the address this server reported")
    assert server.calls == [("listening", "10.0.0.5", 40000), ("listening", "10.0.0.5", 40001)]


async def test_slurm_token(hub, alice):
    server = alice.spawners[""]
    client = hub(alice.tokens[""])
    # the real method: without slurmrestd_jwt_key the hub hands out none
    assert not server.slurmrestd_jwt_key
    assert (await _refused(client, ROUTE_SLURM_TOKEN, {})).status == 404
    server.slurm_token = lambda: {"token": "jwt", "expires": 1900000000}
    assert await client.call("POST", ROUTE_SLURM_TOKEN, {}) == \
        {"token": "jwt", "expires": 1900000000}
    server.active = False  # only for a server that runs
    assert (await _refused(client, ROUTE_SLURM_TOKEN, {})).status == 403


async def test_slurm_token_is_not_cached(hub, alice):
    from tornado.httpclient import AsyncHTTPClient

    alice.spawners[""].slurm_token = lambda: {"token": "jwt", "expires": 1900000000}
    client = hub(alice.tokens[""])
    resp = await AsyncHTTPClient().fetch(
        client.url + ROUTE_SLURM_TOKEN, method="POST", body=b"{}",
        headers={"Authorization": f"token {client.token}"})
    assert resp.headers["Cache-Control"] == "no-store"


async def test_material_reset(hub, alice):
    answer = await hub(alice.tokens["gpu"]).call("POST", ROUTE_MATERIAL_RESET, {})
    assert answer == {"handed_out": ["intro.ipynb"], "moved_to": "course.old"}
    assert alice.spawners["gpu"].calls == [("reset",)]


def test_register_adds_the_routes_once(monkeypatch):
    from jupyterhub import apihandlers

    monkeypatch.setattr(apihandlers, "default_handlers", [(r"/api/users", object)])
    handlers.register()
    handlers.register()
    routes = [h[0] for h in apihandlers.default_handlers]
    assert routes == [r"/api/users", "/api" + ROUTE_ADDRESS, "/api" + ROUTE_LISTENING,
                      "/api" + ROUTE_SLURM_TOKEN, "/api" + ROUTE_UNICORE_TOKEN,
                      "/api" + ROUTE_MATERIAL_RESET]
