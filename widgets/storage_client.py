"""Object storage from a notebook: ``put``, ``get``, ``ls``, ``rm``, ``copy``, ``share``.

    from funicular.widgets import storage
    storage.ls("swift://")                        # your containers
    t = storage.put("results.h5", "swift://data/run1/")   # a Transfer; waits by default
    storage.get("s3://bucket/input.nc", ".")       # into the notebook's folder
    storage.copy("swift://data/a.bin", "s3://other/a.bin")
    storage.share("swift://data/run1/results.h5", seconds=3600)   # a link for anyone

Transfers run in the notebook server, not in the kernel: they go on when the kernel
restarts, and an interrupted one resumes (``t.resume()``). Local paths are the
notebook's own files (relative ones from the kernel's working directory).
"""

import os
import time

from funicular.core.hubapi import SERVER_API

from .client import ApiError, request
from .client import events as api_events

TRANSFERS = f"{SERVER_API}/transfers"
STORAGE = f"{SERVER_API}/storage"
StorageError = ApiError


def _url(path: str) -> str:
    """A location URL; a local path becomes file:// (absolute, as the server needs)."""
    if "://" in path:
        return path
    url = "file://" + os.path.abspath(os.path.expanduser(path))
    return url + "/" if path.endswith("/") and not url.endswith("/") else url


class Transfer:
    """A transfer as the server's transfer service knows it."""

    def __init__(self, record: dict):
        self.record = record

    def __repr__(self) -> str:
        r = self.record
        return f"<Transfer {r['id']} {r['state']} {r['src']} -> {r['dst']}>"

    @property
    def id(self) -> str:
        return self.record["id"]

    def refresh(self) -> dict:
        self.record = request(TRANSFERS, "GET", f"/{self.id}")
        return self.record

    @property
    def state(self) -> str:
        return self.refresh()["state"]

    @property
    def progress(self) -> float:
        r = self.refresh()
        return r["bytes_done"] / r["size"] if r["size"] else float(r["state"] == "done")

    def wait(self, timeout: float | None = None, raise_on_error: bool = True) -> "Transfer":
        """Until it has ended or stopped (the change stream tells); raises
        StorageError if it did not end as done (``raise_on_error``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.refresh()["state"] in ("queued", "running"):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"transfer {self.id} still {self.record['state']}")
            try:
                for name, data in api_events(TRANSFERS, timeout=min(left or 30, 30)):
                    t = data.get("transfer") if name == "transfer" else None
                    if t and t["id"] == self.id:
                        self.record = t
                        if t["state"] not in ("queued", "running"):
                            break
            except (TimeoutError, OSError):
                pass
        if raise_on_error and self.record["state"] != "done":
            raise StorageError(409, f"transfer {self.id} {self.record['state']}: "
                               f"{self.record['error']}")
        return self

    def cancel(self) -> None:
        self.record = request(TRANSFERS, "POST", f"/{self.id}/cancel")

    def resume(self, wait: bool = True) -> "Transfer":
        self.record = request(TRANSFERS, "POST", f"/{self.id}/resume")
        return self.wait() if wait else self


def copy(src: str, dst: str, wait: bool = True) -> Transfer:
    """Copy between any two locations; a destination ending in "/" (or a folder, or a
    container) gets the source's name."""
    t = Transfer(request(TRANSFERS, "POST", body={"src": _url(src), "dst": _url(dst)}))
    return t.wait() if wait else t


def put(local: str, remote: str, wait: bool = True) -> Transfer:
    """Upload a file of the notebook's to a store."""
    return copy(local, remote, wait)


def get(remote: str, local: str = ".", wait: bool = True) -> Transfer:
    """Download an object to the notebook's files (a folder keeps its name)."""
    return copy(remote, local, wait)


def ls(url: str) -> list[dict]:
    """Entries under swift://, swift://container, s3://bucket/prefix/...:
    [{"name", "url", "type": "file"|"directory", "size"}]."""
    return request(STORAGE, "GET", "/ls", params={"url": _url(url)})["entries"]


def rm(url: str) -> None:
    """Remove an object (with its segments), or an empty container."""
    request(STORAGE, "POST", "/rm", body={"url": url})


def mkdir(url: str) -> None:
    """Create a container or bucket (swift://name, s3://name)."""
    request(STORAGE, "POST", "/mkdir", body={"url": url})


def share(url: str, seconds: int = 3600) -> str:
    """A link anyone can download the object with, until it expires."""
    return request(STORAGE, "POST", "/share", body={"url": url, "seconds": seconds})["link"]


def stores() -> list[str]:
    """The schemes configured for you here ("swift", "s3")."""
    return request(STORAGE, "GET")["stores"]


def transfers() -> list[Transfer]:
    """Your transfers, newest first (also those of earlier servers)."""
    return [Transfer(r) for r in request(TRANSFERS, "GET")["transfers"]]


def events(timeout: float | None = None):
    """The transfers' change stream: ("snapshot", ...) then ("transfer", ...) events."""
    return api_events(TRANSFERS, timeout)
