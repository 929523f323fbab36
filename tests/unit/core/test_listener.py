"""The listener proof: the hub routes only to a process that holds the server's token."""

import socket

import pytest
from tornado import httpserver, web

from funicular.core import listener
from funicular.extension.listener import ListenerProofHandler
from funicular.spawner import listenercheck


class _Squatter(web.RequestHandler):
    """Another user's process on the port: it answers, but cannot know the token."""

    def get(self):
        self.finish({"proof": listener.proof("a-guess", self.get_query_argument("nonce"))})


async def _serve(handler, token, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    app = web.Application([(r"/user/alice/" + listener.PATH, handler)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    server = httpserver.HTTPServer(app)
    server.add_sockets([sock])
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/user/alice/"


@pytest.mark.parametrize(("handler", "ok"), [(ListenerProofHandler, True), (_Squatter, False)])
async def test_only_the_holder_of_the_token_passes(monkeypatch, handler, ok):
    server, url = await _serve(handler, "the-servers-token", monkeypatch)
    try:
        passed, why = await listenercheck.verify(url, "the-servers-token", timeout=5)
        assert passed is ok, why
    finally:
        server.stop()


async def test_nothing_listening_or_no_extension_fails():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    passed, why = await listenercheck.verify(f"http://127.0.0.1:{port}/", "t", timeout=2)
    assert not passed and why


def test_nonces_are_checked():
    with pytest.raises(ValueError):
        listener.proof("t", "../../etc")
    assert not listener.matches("t", "0" * 32, None)
    assert listener.matches("t", "0" * 32, listener.proof("t", "0" * 32))
