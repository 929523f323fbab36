"""A minimal client for the Funicular server extension, from inside a kernel."""

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from funicular.core.hubapi import HUB_API_TOKEN, HUB_SERVICE_URL, SERVER_API


def _server_url() -> str:
    # jupyterhub-singleuser exports its own URL; a plain jupyter-server run sets neither
    url = os.environ.get(HUB_SERVICE_URL)
    if not url:
        raise RuntimeError("not running under a Funicular notebook server")
    return url.rstrip("/")


def info() -> dict:
    """Node, job and container facts of this notebook's server."""
    req = urllib.request.Request(f"{_server_url()}/{SERVER_API}/info", headers=_headers())
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def remaining() -> float | None:
    """Seconds until Slurm ends this notebook's server (None if unknown)."""
    return info()["remaining_seconds"]


class ApiError(RuntimeError):
    """The server refused a request; ``field`` names the offending field, if any."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


def _headers() -> dict:
    return {"Authorization": f"token {os.environ[HUB_API_TOKEN]}",
            "Content-Type": "application/json"}


def request(api: str, method: str, path: str = "", body: dict | None = None,
            params: dict | None = None, timeout: float = 60):
    """One call of the extension's REST API ``api`` (e.g. f"{SERVER_API}/jobs")."""
    url = f"{_server_url()}/{api}{path}"
    if params:
        url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    req = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers=_headers())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp) if resp.status != 204 else None
    except urllib.error.HTTPError as e:
        try:
            err = json.load(e)
        except ValueError:
            err = {}
        raise ApiError(e.code, err.get("message") or str(e), err.get("field")) from None


def events(api: str, timeout: float | None = None) -> Iterator[tuple[str, dict]]:
    """An API's change stream: (event name, data) until ``timeout`` seconds without any
    event (None: forever)."""
    req = urllib.request.Request(f"{_server_url()}/{api}/events", headers=_headers())
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        name = None
        for raw in resp:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                yield name, json.loads(line[6:])
