"""A minimal client for the Funicular server extension, from inside a kernel."""

import json
import os
import urllib.request


def _server_url() -> str:
    # jupyterhub-singleuser exports its own URL; a plain jupyter-server run sets neither
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    if not url:
        raise RuntimeError("not running under a Funicular notebook server")
    return url.rstrip("/")


def info() -> dict:
    """Node, job and container facts of this notebook's server."""
    req = urllib.request.Request(
        _server_url() + "/funicular/api/info",
        headers={"Authorization": f"token {os.environ['JUPYTERHUB_API_TOKEN']}"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def remaining() -> float | None:
    """Seconds until Slurm ends this notebook's server (None if unknown)."""
    return info()["remaining_seconds"]
