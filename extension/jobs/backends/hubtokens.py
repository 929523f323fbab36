"""The user's own short-lived Slurm token, from the hub, for slurmrestd and UNICORE.

The hub mints it (it holds the cluster's JWT key) for this server's own API token
only (``hubapi.ROUTE_SLURM_TOKEN``); a fresh one is asked for when the last has a
third of its life left. Tokens live in this process's memory only: in headers,
never in a URL, argv or log.
"""

import time
from collections.abc import Mapping

from funicular.core.errors import SlurmError
from funicular.core.hubapi import ROUTE_SLURM_TOKEN, HubClient, HubError


class HubTokens:
    def __init__(self, hub: HubClient):
        self.hub = hub
        self._token, self._expires, self._lifespan = "", 0.0, 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "HubTokens":
        return cls(HubClient.from_env(env, timeout=20))

    async def headers(self, user: str) -> dict[str, str]:
        return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": await self.token()}

    async def token(self) -> str:
        """The current token, a new one from the hub when a third of its life is left."""
        if self._expires - time.time() < self._lifespan / 3 or not self._token:
            try:
                data = await self.hub.call("POST", ROUTE_SLURM_TOKEN, {}, ok=(200,))
            except HubError as e:
                raise SlurmError(f"the hub gave no Slurm token: {e}" if e.status else
                                 f"cannot get a Slurm token from the hub: {e}") from None
            try:
                token, expires = data["token"], float(data["expires"])
            except (TypeError, KeyError, ValueError):
                token = expires = None
            if not token or not isinstance(token, str) or expires is None:
                raise SlurmError("the hub gave no Slurm token: its answer has no token "
                                 "and expiry")
            self._token, self._expires = token, expires
            self._lifespan = self._expires - time.time()
        return self._token
