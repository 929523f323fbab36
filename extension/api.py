"""What every REST handler of the extension shares: JSON errors that name the field,
and server-sent event streams."""

import asyncio
import json

from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.iostream import StreamClosedError

from funicular.core.errors import SpecError

KEEPALIVE = 15.0  # seconds between comments on an idle stream (proxies close quiet ones)


class SpecHTTPError(web.HTTPError):
    """A 400 for a refused input, carrying the offending field."""

    def __init__(self, err: SpecError):
        super().__init__(400, str(err))
        self.field = err.field


class ApiHandler(APIHandler):
    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None))[1]
        self.set_header("Content-Type", "application/json")
        body = {"status": status_code, "message": getattr(exc, "log_message", None)
                or self._reason}
        if isinstance(exc, SpecHTTPError):
            body["field"] = exc.field
        self.finish(json.dumps(body))

    def json_body(self) -> object:
        try:
            return json.loads(self.request.body or b"null")
        except ValueError:
            raise web.HTTPError(400, "the body must be JSON") from None

    # server-sent events: "event: NAME" / "data: JSON" blocks
    def start_stream(self) -> None:
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")

    async def send(self, name: str, data: dict) -> None:
        self.write(f"event: {name}\ndata: {json.dumps(data)}\n\n")
        await self.flush()

    async def keepalive(self) -> None:
        self.write(": keepalive\n\n")
        await self.flush()

    async def follow(self, changes, snapshot: dict) -> None:
        """A change stream: the ``snapshot`` event, then each event as it comes, with a
        keepalive comment on a quiet stream, until the client goes away."""
        queue = changes.listen()
        self.start_stream()
        try:
            await self.send("snapshot", snapshot)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    await self.keepalive()
                    continue
                await self.send(event["type"], event)
        except StreamClosedError:
            pass
        finally:
            changes.unlisten(queue)
