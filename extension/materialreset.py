"""A workshop's course material in this server's home: where it is, and a reset to a
pristine copy (``POST /funicular/api/material/reset``). The hub does the reset, as the
user, where the course folder is (``POST /hub/api/funicular/material/reset`` with this
server's token); the participant's folder is moved aside, never deleted."""

import json
import os

from jupyter_server.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .api import ApiHandler, authorized


def _dir() -> str:
    rel = os.environ.get("FUNICULAR_MATERIAL_DIR")
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
        url = os.environ["JUPYTERHUB_API_URL"].rstrip("/") + "/funicular/material/reset"
        req = HTTPRequest(url, method="POST", body=b"{}", request_timeout=60, headers={
            "Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"})
        resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        if resp.code != 200:
            raise web.HTTPError(502, f"the hub did not reset the material: HTTP {resp.code}")
        self.finish(resp.body)


def setup_handlers(web_app) -> None:
    base = url_path_join(web_app.settings["base_url"], "funicular/api/material")
    web_app.add_handlers(".*$", [(base, MaterialHandler), (f"{base}/reset", ResetHandler)])
