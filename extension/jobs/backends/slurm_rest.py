"""slurmrestd with the user's own short-lived JWT: no Slurm binaries or munge needed
in the image. The hub mints the token (it holds the cluster's JWT key); the server
asks for a fresh one with its own API token when the last is a third from expiry.
Tokens live in this process's memory only."""

import json
import time

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from funicular.core.errors import SlurmError
from funicular.core.slurm.rest import SlurmREST

from .base import register
from .slurm import SlurmBackend


class HubTokens:
    """Per-user slurmrestd tokens from the hub (``POST /hub/api/funicular/slurm-token``)."""

    def __init__(self, hub_api_url: str, api_token: str):
        self.url = hub_api_url.rstrip("/") + "/funicular/slurm-token"
        self._api_token = api_token
        self._token, self._expires, self._lifespan = "", 0.0, 0.0
        self.fetched = 0

    async def headers(self, user: str) -> dict[str, str]:
        return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": await self.token()}

    async def token(self) -> str:
        """The current token, a new one from the hub when a third of its life is left."""
        if self._expires - time.time() < self._lifespan / 3 or not self._token:
            req = HTTPRequest(self.url, method="POST", body=b"{}", request_timeout=20,
                              headers={"Authorization": f"token {self._api_token}"})
            try:
                resp = await AsyncHTTPClient().fetch(req, raise_error=False)
                data = json.loads(resp.body or b"{}")
            except (OSError, ValueError) as e:
                raise SlurmError(f"cannot get a Slurm token from the hub: {e}") from None
            if resp.code != 200 or not data.get("token"):
                raise SlurmError(f"the hub gave no Slurm token: HTTP {resp.code} "
                                 f"{data.get('message', '')}".rstrip())
            self._token = data["token"]
            self._expires = float(data["expires"])
            self._lifespan = self._expires - time.time()
            self.fetched += 1
        return self._token


@register
class SlurmRESTBackend(SlurmBackend):
    name = "rest"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        if not site.slurmrestd_url:
            raise ValueError("the rest backend needs the site's slurmrestd_url")
        tokens = HubTokens(env["JUPYTERHUB_API_URL"], env["JUPYTERHUB_API_TOKEN"])
        # queries act as the user too: the token is only ever the user's own
        self.slurm = SlurmREST(site.slurmrestd_url, tokens, service_user=user)
