"""core.hubapi.HubClient, both ways (``call`` on the loop, ``call_sync`` before one
runs), against a tiny tornado app on loopback that echoes what it was sent.

``call_sync`` blocks, so it runs in a thread while the app answers on the test's loop.
"""

import asyncio
import json
import socket

import pytest
from tornado import httpserver, netutil, web

from funicular.core import hubapi
from funicular.core.hubapi import HubClient, HubError

TOKEN = "s3cret-token"


class _Echo(web.RequestHandler):
    """What arrived: method, URI, the Authorization header and the JSON body."""

    def _echo(self):
        self.seen.append(self.request.uri)
        body = json.loads(self.request.body) if self.request.body else None
        self.finish({"method": self.request.method, "uri": self.request.uri,
                     "auth": self.request.headers.get("Authorization"), "body": body})

    def initialize(self, seen):
        self.seen = seen

    get = post = delete = _echo


class _Refuse(web.RequestHandler):
    """JupyterHub's error shape: {"status": ..., "message": ...}."""

    def post(self):
        self.set_status(409)
        self.finish({"status": 409, "message": "job 12 is not this server's job"})


class _Broken(web.RequestHandler):
    def get(self):
        self.set_status(500)
        self.finish("boom, not JSON")


class _Empty(web.RequestHandler):
    def delete(self):
        self.set_status(204)


class _Elsewhere(web.RequestHandler):
    """A redirect: following it would carry the token's header to its target."""

    def post(self):
        self.redirect("/hub/api/echo")


@pytest.fixture
async def hub():
    seen: list[str] = []
    app = web.Application([
        (r"/hub/api/echo", _Echo, {"seen": seen}), (r"/hub/api/refuse", _Refuse),
        (r"/hub/api/broken", _Broken), (r"/hub/api/empty", _Empty),
        (r"/hub/api/elsewhere", _Elsewhere)])
    sock, = netutil.bind_sockets(0, "127.0.0.1")
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    yield HubClient(f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api/", TOKEN, timeout=5), seen
    server.stop()


def _both(client: HubClient):
    """The client's two calls, as awaitables alike."""
    async def sync(*a, **kw):
        return await asyncio.to_thread(client.call_sync, *a, **kw)
    return [client.call, sync]


async def test_json_answer_and_the_token_only_in_the_header(hub):
    client, seen = hub
    for call in _both(client):
        answer = await call("POST", "/echo", {"host": "10.0.0.5"}, params={"a": "b c"})
        assert answer == {"method": "POST", "uri": "/hub/api/echo?a=b+c",
                          "auth": f"token {TOKEN}", "body": {"host": "10.0.0.5"}}
        assert await call("GET", "/echo") == {"method": "GET", "uri": "/hub/api/echo",
                                              "auth": f"token {TOKEN}", "body": None}
        assert await call("DELETE", "/empty") is None  # 204: no body
    assert seen and not any(TOKEN in uri for uri in seen)


async def test_refusals_carry_status_and_the_hubs_message(hub):
    client, _ = hub
    for call in _both(client):
        with pytest.raises(HubError) as e:
            await call("POST", "/refuse", {})
        assert e.value.status == 409
        assert e.value.message == "job 12 is not this server's job"
        assert e.value.answer == {"status": 409, "message": "job 12 is not this server's job"}
        assert "HTTP 409" in str(e.value) and TOKEN not in str(e.value)
        with pytest.raises(HubError) as e:
            await call("GET", "/broken")
        assert (e.value.status, e.value.message) == (500, "boom, not JSON")
        # a status the caller expects is an answer, not an error
        assert await call("POST", "/refuse", {}, ok=(409,)) == \
            {"status": 409, "message": "job 12 is not this server's job"}


async def test_redirects_are_not_followed(hub):
    client, seen = hub
    for call in _both(client):
        with pytest.raises(HubError) as e:
            await call("POST", "/elsewhere", {})
        assert e.value.status == 302
    assert seen == []  # the token went nowhere else


async def test_unreachable_and_silent_hubs_are_status_0():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        for port in (closed, silent.getsockname()[1]):
            client = HubClient(f"http://127.0.0.1:{port}/hub/api", TOKEN, timeout=0.5)
            for call in _both(client):
                with pytest.raises(HubError) as e:
                    await call("POST", hubapi.ROUTE_ADDRESS, {})
                assert e.value.status == 0, (port, call)
                assert "unreachable" in str(e.value) and TOKEN not in str(e.value)
    finally:
        silent.close()


def test_from_env_reads_jupyterhubs_variables():
    client = HubClient.from_env({hubapi.HUB_API_URL: "http://hub:8081/hub/api/",
                                 hubapi.HUB_API_TOKEN: TOKEN}, timeout=3)
    assert (client.url, client.token, client.timeout, client.ssl_context) == \
        ("http://hub:8081/hub/api", TOKEN, 3, None)
    assert TOKEN not in repr(client)


def test_routes_are_absolute_and_distinct():
    assert len(set(hubapi.HUB_ROUTES)) == len(hubapi.HUB_ROUTES)
    assert all(r.startswith("/funicular/") for r in hubapi.HUB_ROUTES)
