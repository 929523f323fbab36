"""What every REST handler of the extension shares: JSON errors that name the field,
Jupyter's authorization, and server-sent event streams.

Every method is ``@web.authenticated`` (who is it) and ``@authorized`` (may they):
jupyter_server's Authorizer decides on ``(user, read|write, "funicular")``, as it does
for its own handlers' resources, so a site's or JupyterHub's access rules reach this
API too, not only its login.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.iostream import StreamClosedError

from funicular.core.errors import SpecError

from .changes import ChangeStream, Overflowed

__all__ = ["AUTH_RESOURCE", "JOBS_SETTING", "TRANSFERS_SETTING", "ApiHandler",
           "SpecHTTPError", "authorized"]

AUTH_RESOURCE = "funicular"
# web_app.settings keys: a part's service, and (key + "_error") why it has none
JOBS_SETTING, TRANSFERS_SETTING = "funicular_jobs", "funicular_transfers"
KEEPALIVE = 15.0  # seconds between comments on an idle stream (proxies close quiet ones)
# seconds a stream that fell behind has to end itself before its connection is cut:
# one stuck writing to a client that does not read never gets back to its queue
CUT_AFTER = 2.0
RETRY_MS = 1000  # how soon an EventSource reconnects to a stream that ended


class SpecHTTPError(web.HTTPError):
    """A 400 for a refused input, carrying the offending field."""

    def __init__(self, err: SpecError):
        super().__init__(400, str(err))
        self.field = err.field


class ApiHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

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

    async def follow(self, changes: ChangeStream,
                     snapshot: Callable[[], Awaitable[dict]]) -> None:
        """A change stream: the ``snapshot`` event, then each event as it comes, with a
        keepalive comment on a quiet stream, until the client goes away or falls behind.

        It listens before it takes the snapshot, so no change falls in between (one may
        come twice: events carry whole records). One that falls behind gets an
        ``overflow`` event and the end of the stream, or, if it does not read even that,
        a closed connection; either way its client reconnects to a fresh snapshot."""
        listener = changes.listen()
        listener.on_overflow = self._cut_later
        self.start_stream()
        try:
            self.write(f"retry: {RETRY_MS}\n\n")
            await self.send("snapshot", await snapshot())
            while True:
                event = await listener.get(KEEPALIVE)
                if event is None:
                    await self.keepalive()
                    continue
                await self.send(event["type"], event)
        except Overflowed as e:
            await self.send("overflow", {"message": f"{e}: reconnect for a fresh snapshot"})
            self.finish()
        except StreamClosedError:
            pass
        finally:
            changes.unlisten(listener)

    def _cut_later(self) -> None:
        def cut():
            if not self._finished and self.request.connection is not None:
                self.request.connection.close()  # a pending write raises StreamClosedError
        asyncio.get_running_loop().call_later(CUT_AFTER, cut)
