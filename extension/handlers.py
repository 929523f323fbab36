"""REST handlers of the extension, under the server's base URL."""

import json

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .api import AUTH_RESOURCE, authorized
from .runtime_info import runtime_info


class InfoHandler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @web.authenticated
    @authorized
    def get(self):
        self.finish(json.dumps(runtime_info()))


def setup_handlers(web_app) -> None:
    base = web_app.settings["base_url"]
    web_app.add_handlers(".*$", [(url_path_join(base, "funicular/api/info"), InfoHandler)])
