"""The user's own short-lived credentials, from the hub: Slurm tokens for slurmrestd,
UNICORE credentials for UNICORE.

The hub makes them (it holds the cluster's JWT key, the key UNICORE trusts, the
user's OIDC tokens) for this server's own API token only (``hubapi.ROUTE_SLURM_TOKEN``,
``hubapi.ROUTE_UNICORE_TOKEN``); a fresh one is asked for when the last has a third of
its life left, or was refused. Credentials live in this process's memory only: in
headers, never in a URL, argv or log.
"""

import time
from collections.abc import Mapping

from funicular.core.errors import SlurmError
from funicular.core.hubapi import ROUTE_SLURM_TOKEN, HubClient, HubError


class HubTokens:
    """One kind of credential from one hub route: ``{"token": str, "expires": epoch}``
    and, from the UNICORE route, ``"kind"`` (kept in ``kind``)."""

    def __init__(self, hub: HubClient, route: str = ROUTE_SLURM_TOKEN,
                 what: str = "Slurm token"):
        self.hub, self.route, self.what = hub, route, what
        self._token, self._expires, self._lifespan = "", 0.0, 0.0
        self.kind: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str], **kwargs) -> "HubTokens":
        return cls(HubClient.from_env(env, timeout=20), **kwargs)

    async def headers(self, user: str) -> dict[str, str]:
        return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": await self.token()}

    def forget(self) -> None:
        """The next ``token()`` asks the hub: the last one was refused where it was
        shown (revoked, or expired before its time)."""
        self._token = ""

    async def token(self) -> str:
        """The current token, a new one from the hub when a third of its life is left."""
        if self._expires - time.time() < self._lifespan / 3 or not self._token:
            try:
                data = await self.hub.call("POST", self.route, {}, ok=(200,))
            except HubError as e:
                raise SlurmError(f"the hub gave no {self.what}: {e}" if e.status else
                                 f"cannot get a {self.what} from the hub: {e}") from None
            try:
                token, expires = data["token"], float(data["expires"])
            except (TypeError, KeyError, ValueError):
                token = expires = None
            if not token or not isinstance(token, str) or expires is None:
                raise SlurmError(f"the hub gave no {self.what}: its answer has no token "
                                 "and expiry")
            self._token, self._expires = token, expires
            self._lifespan = self._expires - time.time()
            kind = data.get("kind")
            self.kind = kind if isinstance(kind, str) else None
        return self._token
