"""REST API of transfers and storage browsing (its routes: ``routes.ROUTES
["transfers"]``). URLs are swift://container/key, s3://bucket/key or file:///path."""

import asyncio
import json

from tornado import web

from funicular.core.errors import SpecError
from funicular.core.storage.journal import DamagedRecord
from funicular.core.storage.stores import StoreError

from ..api import TRANSFERS_SETTING, ApiHandler, SpecHTTPError, authorized
from .service import Conflict, UnknownTransfer

MAX_SHARE_SECONDS = 7 * 24 * 3600


class _Handler(ApiHandler):
    @property
    def service(self):
        service = self.settings.get(TRANSFERS_SETTING)
        if service is None:
            raise web.HTTPError(503, self.settings.get(TRANSFERS_SETTING + "_error")
                                or "transfers are not configured for this server")
        return service

    async def call(self, fn, *args):
        """Runs ``fn`` in a thread (store clients and the journal's files block) and maps
        its errors to HTTP; any other error (a KeyError too) is a 500, not a 404."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        except SpecError as e:
            raise SpecHTTPError(e) from None
        except UnknownTransfer as e:
            raise web.HTTPError(404, f"no transfer {e.tid}") from None
        except Conflict as e:
            raise web.HTTPError(409, str(e)) from None
        except DamagedRecord as e:  # before ValueError: the server's record, not the request
            raise web.HTTPError(500, f"the transfer's record is damaged: {e}") from None
        except (ValueError, IsADirectoryError, NotADirectoryError) as e:
            raise web.HTTPError(400, str(e)) from None
        except FileNotFoundError as e:
            raise web.HTTPError(404, str(e)) from None
        except PermissionError as e:
            raise web.HTTPError(403, str(e)) from None
        except StoreError as e:
            status = e.status if e.status in (401, 403, 404, 409) else 502
            raise web.HTTPError(status, str(e)) from None

    def field(self, body: object, name: str):
        if not isinstance(body, dict) or name not in body:
            raise SpecHTTPError(SpecError(name, "is required"))
        return body[name]


class TransfersHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self):
        transfers = await self.call(self.service.transfers)
        self.finish(json.dumps({"transfers": [t.to_json() for t in transfers]}))

    @web.authenticated
    @authorized
    async def post(self):
        body = self.json_body()
        known = {"src", "dst", "create_container"}
        if isinstance(body, dict) and set(body) - known:
            raise SpecHTTPError(SpecError(sorted(set(body) - known)[0],
                                          "unknown field; known: src, dst, create_container"))
        src, dst = self.field(body, "src"), self.field(body, "dst")
        create = body.get("create_container", False)
        if not isinstance(create, bool):
            raise SpecHTTPError(SpecError("create_container", "true or false"))
        t = await self.call(self.service.submit, src, dst, create)
        self.set_status(201)
        self.finish(json.dumps(t.to_json()))


class TransferHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self, tid):
        t = await self.call(self.service.get, tid)
        if t is None:
            raise web.HTTPError(404, f"no transfer {tid}")
        self.finish(json.dumps(t.to_json()))

    @web.authenticated
    @authorized
    async def delete(self, tid):
        await self.call(self.service.forget, tid)
        self.set_status(204)
        self.finish()


class ActionHandler(_Handler):
    @web.authenticated
    @authorized
    async def post(self, tid, action):
        fn = {"cancel": self.service.cancel, "resume": self.service.resume}[action]
        t = await self.call(fn, tid)
        self.set_status(202)
        self.finish(json.dumps(t.to_json()))


class EventsHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self):
        service = self.service

        async def snapshot():
            return {"transfers": [t.to_json() for t in await self.call(service.transfers)]}
        await self.follow(service.changes, snapshot)


class StoresHandler(_Handler):
    @web.authenticated
    @authorized
    def get(self):
        self.finish(json.dumps({"stores": self.service.schemes()}))


class LsHandler(_Handler):
    @web.authenticated
    @authorized
    async def get(self):
        url = self.get_argument("url", "")
        entries = await self.call(self.service.ls, url)
        self.finish(json.dumps({"url": url, "entries": entries}))


class StorageActionHandler(_Handler):
    @web.authenticated
    @authorized
    async def post(self, action):
        body = self.json_body()
        url = self.field(body, "url")
        if action == "rm":
            await self.call(self.service.remove, url)
            self.finish(json.dumps({"removed": url}))
        elif action == "mkdir":
            await self.call(self.service.mkdir, url)
            self.finish(json.dumps({"created": url}))
        else:
            seconds = body.get("seconds", 3600)
            if isinstance(seconds, bool) or not isinstance(seconds, int) or not (
                    1 <= seconds <= MAX_SHARE_SECONDS):
                raise SpecHTTPError(SpecError("seconds", f"a whole number, 1..{MAX_SHARE_SECONDS}"))
            link = await self.call(self.service.share, url, seconds)
            self.finish(json.dumps({"url": url, "link": link, "seconds": seconds}))

