"""The notebook server's transfers: run in the background, journalled, resumable.

Transfers run in threads of the server, not of a kernel, so a kernel restart does
not touch them; their journals (see funicular.core.storage.journal) outlive the
server too: a transfer that was running when the server stopped shows up as
"interrupted" and resumes on request. Browsing (ls, rm, mkdir, share links) goes
through the same per-user credentials.
"""

import asyncio
import threading
import time

from funicular.core.storage import StoreCredentials, filesystem, parse
from funicular.core.storage.endpoints import open_sink
from funicular.core.storage.journal import ENDED, RESUMABLE, Journal, Transfer
from funicular.core.storage.stores import StoreError, get_store
from funicular.core.storage.transfer import check_destination, plan, run

from ..changes import ChangeStream

PROGRESS_EVERY = 0.25  # seconds between progress events of one transfer


class Conflict(RuntimeError):
    """The request does not fit the transfer's state (409)."""


class UnknownTransfer(LookupError):
    """No such transfer (404). Its own type: a KeyError from anywhere else is a bug
    (a 500 that says so), not a missing transfer."""

    def __init__(self, tid: str):
        super().__init__(tid)
        self.tid = tid


class TransferService:
    def __init__(self, journal: Journal, creds: StoreCredentials, *, part_size: int,
                 concurrency: int, max_running: int = 2, durable: bool = True):
        self.journal, self.creds = journal, creds
        self.part_size, self.concurrency, self.durable = part_size, concurrency, durable
        self._slots = threading.Semaphore(max_running)
        self._active: dict[str, threading.Event] = {}
        self.changes = ChangeStream()
        self._last_event: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stores: dict[str, object] = {}

    def start(self) -> None:
        """Records left "running" by a server that stopped become resumable."""
        self._loop = asyncio.get_running_loop()
        for t in self.journal.all():
            if t.state in ("running", "queued") and not self.journal.is_running(t.id):
                t.state = "interrupted"
                t.error = t.error or "the notebook server stopped during the transfer"
                self.journal.save(t)

    # ------------------------------------------------------------------ transfers
    def transfers(self) -> list[Transfer]:
        return sorted(self.journal.all(), key=lambda t: -t.created)

    def get(self, tid: str) -> Transfer | None:
        """None if there is no such record; a damaged one raises DamagedRecord."""
        try:
            return self.journal.load(tid)
        except KeyError:  # Journal's word for "no such record", from load only
            return None

    def submit(self, src: object, dst: object, create_container: bool = False) -> Transfer:
        """A new transfer, started. SpecError / ValueError: a 400; a destination
        container that does not exist (and is not to be made): MissingContainer, a 404,
        before any record is kept."""
        t = plan(src, dst, self.creds, create_container=create_container)
        check_destination(t, self.creds, hint="create_container makes it")
        self.journal.save(t)
        self._start(t)
        return t

    def resume(self, tid: str) -> Transfer:
        t = self._existing(tid)
        if tid in self._active or self.journal.is_running(tid):
            raise Conflict(f"transfer {tid} is running")
        if t.state not in RESUMABLE:
            raise Conflict(f"transfer {tid} is {t.state}, not resumable")
        t.state = "queued"
        self.journal.save(t)
        self._start(t)
        return t

    def cancel(self, tid: str) -> Transfer:
        t = self._existing(tid)
        if tid in self._active:
            self._active[tid].set()
            return t
        if t.state in ENDED:
            raise Conflict(f"transfer {tid} is already {t.state}")
        try:  # an interrupted one: drop what it left in the store or on disk
            open_sink(parse(t.dst), self.creds).discard(t)
        except (StoreError, OSError, ValueError):
            pass
        t.state, t.error, t.done = "cancelled", "cancelled", {}
        self.journal.save(t)
        self._progress(t, force=True)
        return t

    def forget(self, tid: str) -> None:
        t = self._existing(tid)
        if t.state not in ENDED:
            raise Conflict(f"transfer {tid} is {t.state}: cancel it first")
        self.journal.delete(tid)

    def _existing(self, tid: str) -> Transfer:
        t = self.get(tid)
        if t is None:
            raise UnknownTransfer(tid)
        return t

    def _start(self, t: Transfer) -> None:
        cancel = threading.Event()
        self._active[t.id] = cancel
        self._progress(t, force=True)
        threading.Thread(target=self._run, args=(t, cancel), daemon=True,
                         name=f"transfer-{t.id}").start()

    def _run(self, t: Transfer, cancel: threading.Event) -> None:
        try:
            with self._slots, self.journal.running(t.id):
                run(t, self.creds, self.journal, progress=self._progress, cancel=cancel,
                    part_size=self.part_size, concurrency=self.concurrency,
                    durable=self.durable)
        except BlockingIOError:
            t.error = "another process is running this transfer"
        finally:
            self._active.pop(t.id, None)
            self._progress(t, force=True)

    # ------------------------------------------------------------------ storage
    def store(self, scheme: str):
        if scheme not in self._stores:
            self.creds.require(scheme)
            self._stores[scheme] = get_store(scheme, self.creds)
        return self._stores[scheme]

    def schemes(self) -> list[str]:
        return [s for s in ("swift", "s3") if self.creds.has(s)]

    def ls(self, url: object) -> list[dict]:
        loc = parse(url, "url")
        self.creds.require(loc.scheme)
        if loc.scheme == "file":
            fs, path = filesystem("file", self.creds), loc.key
        else:
            fs = self.store(loc.scheme).filesystem()
            path = f"{loc.container}/{loc.key}".strip("/")
        out = []
        for e in fs.ls(path, detail=True, refresh=True):
            name = e["name"].rstrip("/")
            url = f"file://{name}" if loc.scheme == "file" else f"{loc.scheme}://{name}"
            out.append({"name": name.rsplit("/", 1)[-1], "url": url,
                        "type": "directory" if e["type"] == "directory" else "file",
                        "size": e.get("size") or 0})
        return sorted(out, key=lambda e: (e["type"] != "directory", e["name"]))

    def remove(self, url: object) -> None:
        loc = parse(url, "url")
        if loc.scheme == "file":
            raise ValueError("url: local files are removed with Jupyter's file browser")
        store = self.store(loc.scheme)
        if loc.key:
            store.delete(loc.container, loc.key)
        elif loc.container:
            store.filesystem().rmdir(loc.container)
        else:
            raise ValueError("url: names no container or object")

    def mkdir(self, url: object) -> None:
        loc = parse(url, "url")
        if loc.scheme == "file" or not loc.container or loc.key:
            raise ValueError("url: mkdir makes a container or bucket (scheme://name)")
        fs = self.store(loc.scheme).filesystem()
        fs.mkdir(loc.container)

    def share(self, url: object, seconds: int) -> str:
        loc = parse(url, "url")
        if loc.scheme == "file" or not loc.key:
            raise ValueError("url: only objects can be shared by link")
        return self.store(loc.scheme).share_url(loc.container, loc.key, seconds)

    # ------------------------------------------------------------------ change stream
    def _progress(self, t: Transfer, force: bool = False) -> None:
        """From any thread (transfers, the handlers' executor): hand a snapshot to the
        event loop, which alone touches the listeners' queues; not too often."""
        now = time.monotonic()
        ended = t.state != "running" or t.bytes_done in (0, t.size)
        if not (force or ended or now - self._last_event.get(t.id, 0) >= PROGRESS_EVERY):
            return
        self._last_event[t.id] = now
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._changed, t.to_json())

    def _changed(self, snapshot: dict) -> None:
        self.changes.publish({"type": "transfer", "transfer": snapshot, "time": time.time()})
