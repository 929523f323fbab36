"""The hub's REST API with the service's own token (JUPYTERHUB_API_TOKEN)."""

import json
import os

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httputil import url_concat


class HubAPI:
    def __init__(self, url: str | None = None, token: str | None = None):
        self.url = (url or os.environ["JUPYTERHUB_API_URL"]).rstrip("/")
        self._token = token or os.environ["JUPYTERHUB_API_TOKEN"]

    async def call(self, method: str, path: str, body: dict | None = None,
                   params: dict | None = None, ok=(200, 201, 202, 204),
                   headers: dict | None = None):
        req = HTTPRequest(url_concat(self.url + path, params or {}), method=method,
                          body=json.dumps(body) if body is not None else
                          (b"" if method in ("POST", "PUT", "PATCH") else None),
                          headers={"Authorization": f"token {self._token}", **(headers or {})},
                          request_timeout=300, allow_nonstandard_methods=True)
        resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        if resp.code not in ok:
            raise HubError(resp.code, resp.body.decode(errors="replace")[:300])
        return json.loads(resp.body) if resp.body else None

    async def participants(self, group: str, page_size: int = 200) -> list[dict]:
        """The group's users, each with its servers (and their state: the job id).

        One listing a page rather than one request per participant: an open page
        refreshes every few seconds, and 200 requests each time would load the hub. The
        service's role lists only the group (``list:users!group=...``); the group is
        checked here as well, so a broader role lists more but shows no more.
        """
        users, offset = [], 0
        while True:
            page = await self.call("GET", "/users", params={
                "offset": offset, "limit": page_size, "sort": "name",
                "include_stopped_servers": "0"},
                headers={"Accept": "application/jupyterhub-pagination+json"})
            users += [u for u in page["items"] if group in (u.get("groups") or [])]
            following = page["_pagination"]["next"]
            if not following:
                return users
            offset = following["offset"]

    async def start(self, user: str, options: dict | None = None):
        return await self.call("POST", f"/users/{user}/server", options or {},
                               ok=(201, 202, 400))

    async def stop(self, user: str):
        return await self.call("DELETE", f"/users/{user}/server", ok=(202, 204, 400))


class HubError(RuntimeError):
    def __init__(self, status: int, text: str):
        super().__init__(f"hub API: HTTP {status}: {text}")
        self.status = status
