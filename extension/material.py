"""The workshop's course material in this server's home: what was handed out, and a
reset to a pristine copy (``/funicular/api/material``). The hub names the material in
the env file (``FUNICULAR_MATERIAL``, ``FUNICULAR_MATERIAL_DIR``); funicular-singleuser
copied it at start."""

import asyncio
import json
import os

from jupyter_server.utils import url_path_join
from tornado import web

from funicular.core.material import reset

from .api import ApiHandler


def _where() -> tuple[str, str]:
    source = os.environ.get("FUNICULAR_MATERIAL")
    if not source:
        raise web.HTTPError(404, "this server has no course material")
    rel = os.environ.get("FUNICULAR_MATERIAL_DIR", "material")
    return source, os.path.join(os.path.expanduser("~"), rel)


class MaterialHandler(ApiHandler):
    @web.authenticated
    def get(self):
        source, target = _where()
        self.finish(json.dumps({"source": source, "dir": target,
                                "present": os.path.isdir(target)}))


class ResetHandler(ApiHandler):
    @web.authenticated
    async def post(self):
        source, target = _where()
        try:
            r = await asyncio.get_running_loop().run_in_executor(None, reset, source, target)
        except OSError as e:
            raise web.HTTPError(500, f"reset failed: {e}") from None
        self.finish(json.dumps({"dir": target, "moved_to": r.moved_to, "copied": r.copied}))


def setup_handlers(web_app) -> None:
    base = url_path_join(web_app.settings["base_url"], "funicular/api/material")
    web_app.add_handlers(".*$", [(base, MaterialHandler), (f"{base}/reset", ResetHandler)])
