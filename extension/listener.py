"""GET listener-proof?nonce=N (``hubapi.SERVER_LISTENER_PROOF``): the hub checks that
the process on the reported port is this server (``funicular.core.listener``).

Unauthenticated on purpose: the hub asks before it routes anyone here, and the
answer (an HMAC of the hub's fresh nonce) reveals nothing about the token.
"""

import os

from tornado import web

from funicular.core import listener
from funicular.core.hubapi import HUB_API_TOKEN


class ListenerProofHandler(web.RequestHandler):
    def get(self):
        nonce = self.get_query_argument("nonce", "")
        token = os.environ.get(HUB_API_TOKEN, "")
        if not listener.valid_nonce(nonce) or not token:
            raise web.HTTPError(400, "nonce: 32 lowercase hex digits expected")
        self.set_header("Cache-Control", "no-store")
        self.finish({"proof": listener.proof(token, nonce)})
