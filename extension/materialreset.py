"""A workshop's course material in this server's home: where it is, and a reset to a
pristine copy. The hub does the reset, as the user, where the course folder is
(``hubapi.ROUTE_MATERIAL_RESET`` with this server's token); the participant's folder
is moved aside, never deleted."""

import json
import os

from tornado import web

from funicular.core.hubapi import MATERIAL_DIR, ROUTE_MATERIAL_RESET, HubClient, HubError

from .api import ApiHandler, authorized


def _dir() -> str:
    rel = os.environ.get(MATERIAL_DIR)
    if not rel:
        raise web.HTTPError(404, "this server has no course material")
    return os.path.join(os.path.expanduser("~"), rel)


class MaterialHandler(ApiHandler):
    @web.authenticated
    @authorized
    def get(self):
        path = _dir()
        self.finish(json.dumps({"dir": path, "present": os.path.isdir(path)}))


class ResetHandler(ApiHandler):
    @web.authenticated
    @authorized
    async def post(self):
        _dir()
        try:
            answer = await HubClient.from_env().call("POST", ROUTE_MATERIAL_RESET, {},
                                                     ok=(200,), timeout=60)
        except HubError as e:
            raise web.HTTPError(502, f"the hub did not reset the material: {e}") from None
        self.finish(json.dumps(answer))
