"""The workshop's participants and their servers, through the hub's API with the
service's own token (``funicular.core.hubapi.HubClient``, from JUPYTERHUB_API_URL and
JUPYTERHUB_API_TOKEN)."""

from urllib.parse import quote

from funicular.core.hubapi import HubClient

# the hub answers a start or stop once the spawner has finished it, up to its
# slow-spawn timeout: a room's start-all must not give up on a slow one
ACTION_TIMEOUT = 300.0


class Participants:
    """One JupyterHub group's users: list them with their servers, start and stop
    their default servers."""

    def __init__(self, hub: HubClient, group: str, page_size: int = 200):
        self.hub, self.group, self.page_size = hub, group, page_size

    async def list(self) -> list[dict]:
        """The group's users, each with its servers (and their state: the job id).

        One listing a page rather than one request per participant: an open page
        refreshes every few seconds, and 200 requests each time would load the hub. The
        service's role lists only the group (``list:users!group=...``); the group is
        checked here as well, so a broader role lists more but shows no more.
        """
        users, offset = [], 0
        while True:
            page = await self.hub.call("GET", "/users", params={
                "offset": offset, "limit": self.page_size, "sort": "name",
                "include_stopped_servers": "0"},
                headers={"Accept": "application/jupyterhub-pagination+json"})
            users += [u for u in page["items"] if self.group in (u.get("groups") or [])]
            following = page["_pagination"]["next"]
            if not following:
                return users
            offset = following["offset"]

    async def start(self, user: str, options: dict | None = None):
        """Start ``user``'s default server (400: it is already running or starting)."""
        return await self.hub.call("POST", f"/users/{quote(user, safe='')}/server",
                                   options or {}, ok=(201, 202, 400), timeout=ACTION_TIMEOUT)

    async def stop(self, user: str):
        """Stop ``user``'s default server (400: it is not running)."""
        return await self.hub.call("DELETE", f"/users/{quote(user, safe='')}/server",
                                   ok=(202, 204, 400), timeout=ACTION_TIMEOUT)
