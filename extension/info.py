"""GET info (``routes.INFO``): where this server runs (``runtime_info``)."""

import json

from tornado import web

from .api import ApiHandler, authorized
from .runtime_info import runtime_info


class InfoHandler(ApiHandler):
    @web.authenticated
    @authorized
    def get(self):
        self.finish(json.dumps(runtime_info()))
