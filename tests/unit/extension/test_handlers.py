"""The small handlers of the extension in a real Jupyter server: the server's facts
(info), a workshop's material and its reset through the hub (the one HubClient, the
token in a header), and the listener proof the hub checks before it routes."""

import json

import pytest

from funicular.core import hubapi, listener
from funicular.extension import routes

from .fakehub import FakeHub
from .server import ServerRunner, url

INFO, MATERIAL = f"/{routes.INFO}", f"/{routes.MATERIAL}"
PROOF = url(hubapi.SERVER_LISTENER_PROOF)
SERVER_TOKEN = "the-servers-hub-token"


@pytest.fixture
async def server(tmp_path, monkeypatch):
    runner = ServerRunner(tmp_path, monkeypatch)
    yield await runner.start()
    await runner.stop()


@pytest.fixture
async def hub(monkeypatch):
    h = FakeHub().start()
    monkeypatch.setenv(hubapi.HUB_API_URL, h.url)
    monkeypatch.setenv(hubapi.HUB_API_TOKEN, SERVER_TOKEN)
    yield h
    h.stop()


async def test_info_needs_a_login_and_says_where_the_server_runs(server, monkeypatch):
    monkeypatch.setenv(hubapi.CONTAINER_ENGINE, "podman")
    assert (await server.fetch(INFO, token=None)).code == 403
    info = json.loads((await server.fetch(INFO)).body)
    assert info["container_engine"] == "podman" and info["job_end_time"] is None
    assert {"hostname", "user", "slurm_job_id", "remaining_seconds"} <= set(info)


async def test_material_needs_a_login_and_a_course(server, monkeypatch, tmp_path):
    for path, method in ((MATERIAL, "GET"), (f"{MATERIAL}/reset", "POST")):
        r = await server.fetch(path, method, body=b"{}" if method == "POST" else None,
                               token=None)
        assert r.code == 403
        r = await server.fetch(path, method, body=b"{}" if method == "POST" else None)
        assert r.code == 404 and "no course material" in json.loads(r.body)["message"]
    monkeypatch.setenv(hubapi.MATERIAL_DIR, "course")
    (tmp_path / "home/course").mkdir()
    answer = json.loads((await server.fetch(MATERIAL)).body)
    assert answer == {"dir": str(tmp_path / "home/course"), "present": True}


async def test_a_reset_asks_the_hub_with_the_servers_token(server, hub, monkeypatch):
    monkeypatch.setenv(hubapi.MATERIAL_DIR, "course")
    hub.answers[hubapi.ROUTE_MATERIAL_RESET] = (200, {"moved_to": "/h/course.1",
                                                      "copied": ["01.ipynb"]})
    r = await server.fetch(f"{MATERIAL}/reset", "POST", body=b"{}")
    assert r.code == 200 and json.loads(r.body) == {"moved_to": "/h/course.1",
                                                    "copied": ["01.ipynb"]}
    ((uri, headers, body),) = hub.requests
    assert uri == "/hub/api" + hubapi.ROUTE_MATERIAL_RESET  # no token in the URL
    assert headers["Authorization"] == f"token {SERVER_TOKEN}" and json.loads(body) == {}


async def test_a_reset_the_hub_refuses_or_misses_is_a_502(server, hub, monkeypatch):
    monkeypatch.setenv(hubapi.MATERIAL_DIR, "course")
    hub.answers[hubapi.ROUTE_MATERIAL_RESET] = (409, {"message": "no course for you"})
    r = await server.fetch(f"{MATERIAL}/reset", "POST", body=b"{}")
    assert r.code == 502
    message = json.loads(r.body)["message"]
    assert "HTTP 409" in message and "no course for you" in message
    assert SERVER_TOKEN not in message
    hub.stop()
    r = await server.fetch(f"{MATERIAL}/reset", "POST", body=b"{}")
    assert r.code == 502 and "unreachable" in json.loads(r.body)["message"]


async def test_the_listener_proof_needs_no_login_and_holds_the_token(server, monkeypatch):
    nonce = "0123456789abcdef" * 2
    assert (await server.fetch(f"{PROOF}?nonce={nonce}", token=None)).code == 400  # no token
    monkeypatch.setenv(hubapi.HUB_API_TOKEN, SERVER_TOKEN)
    r = await server.fetch(f"{PROOF}?nonce={nonce}", token=None)
    assert r.code == 200 and r.headers["Cache-Control"] == "no-store"
    assert listener.matches(SERVER_TOKEN, nonce, json.loads(r.body)["proof"])
    assert SERVER_TOKEN.encode() not in r.body
    for bad in ("", "?nonce=../../etc", "?nonce=" + "0" * 31):
        assert (await server.fetch(PROOF + bad, token=None)).code == 400, bad
