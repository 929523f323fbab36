"""A stand-in for the hub's API on 127.0.0.1: answers the routes of
``funicular.core.hubapi`` with what a test puts in ``answers`` and records each
request (path, headers, body), so a test sees what the server side sent."""

import json
import socket
from dataclasses import dataclass, field

from tornado import httpserver, web


@dataclass
class FakeHub:
    # route -> (status, JSON answer)
    answers: dict[str, tuple[int, object]] = field(default_factory=dict)
    requests: list = field(default_factory=list)
    url: str = ""

    def start(self) -> "FakeHub":
        hub = self

        class Route(web.RequestHandler):
            def post(self, route):
                hub.requests.append((self.request.uri, dict(self.request.headers),
                                     self.request.body))
                status, answer = hub.answers.get(f"/{route}", (404, {"message": "no route"}))
                self.set_status(status)
                self.finish(json.dumps(answer))

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        self._server = httpserver.HTTPServer(web.Application([(r"/hub/api/(.*)", Route)]))
        self._server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hub/api"
        return self

    def stop(self) -> None:
        self._server.stop()
