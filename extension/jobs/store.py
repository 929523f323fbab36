"""The user's job records, in SQLite in the user's Jupyter data directory.

The notebook server is a Slurm job itself and ends; kernels restart; pages reload.
The records outlive all of them: a server started tomorrow lists today's jobs with
their final state. One file per user (mode 0600), written by this server only;
SQLite's own locking covers a second server of the same user.

The home of a cluster is a network filesystem (NFS, GPFS, Lustre): SQLite's WAL mode
needs shared memory between the processes of one host and is unsafe there, so the
store uses a rollback journal (``journal_mode=DELETE``); WAL is for a node-local disk,
and only on request. Every SQLite call runs in one thread of the store's own, never on
the server's event loop: a busy lock or a slow file server holds up that thread, not
every other request. A file that is not a database (damaged, truncated, overwritten)
is moved aside with a warning and a fresh store begins, so the server still starts
and lists the jobs submitted from now on.
"""

import asyncio
import json
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TypeVar

from funicular.core.slurm.jobinfo import ACTIVE_STATES

log = logging.getLogger("funicular.jobs")
T = TypeVar("T")

# not final either: on its way to the scheduler, or lost from its view for a moment
IN_FLIGHT = frozenset({"SUBMITTING", "UNKNOWN"})

# what SQLite says of a file that is not (or no longer) a database of its own
_DAMAGED = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# the files of one database: a rollback journal left by the damaged one must not be
# played back into the fresh one
_SIDECARS = ("-journal", "-wal", "-shm")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    backend_id TEXT,
    name TEXT NOT NULL,
    request TEXT NOT NULL,
    dir TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    nodes TEXT,
    submitted REAL NOT NULL,
    started TEXT,
    ended TEXT,
    exit_code TEXT,
    expected_start TEXT,
    tasks TEXT NOT NULL,
    error TEXT,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_submitted ON jobs(submitted);
"""


class JobStoreError(RuntimeError):
    """The store could not be read or written (a full disk, an I/O error, a lock held
    too long): the caller decides what the record's state is then."""


def new_id() -> str:
    """A job id for the API: short, unguessable, safe in paths and argv."""
    return "j" + secrets.token_hex(6)


@dataclass
class JobRecord:
    id: str
    backend: str
    name: str
    request: dict
    dir: str  # relative to the home
    state: str = "SUBMITTING"
    backend_id: str | None = None
    reason: str | None = None
    nodes: str | None = None
    submitted: float = field(default_factory=time.time)
    started: str | None = None
    ended: str | None = None
    exit_code: str | None = None
    expected_start: str | None = None
    tasks: dict = field(default_factory=dict)  # an array's tasks: state -> how many
    error: str | None = None
    updated: float = field(default_factory=time.time)

    @property
    def final(self) -> bool:
        return self.state not in ACTIVE_STATES and self.state not in IN_FLIGHT

    def to_json(self) -> dict:
        d = asdict(self)
        d["final"] = self.final
        return d


_COLUMNS = [f for f in JobRecord.__dataclass_fields__]
_JSON = ("request", "tasks")
_SELECT = f"SELECT {','.join(_COLUMNS)} FROM jobs"


def _damaged(e: sqlite3.DatabaseError) -> bool:
    return getattr(e, "sqlite_errorcode", None) in _DAMAGED


class JobStore:
    """Async API over one SQLite connection that lives in one worker thread.

    ``wal``: WAL journal mode, for a store on a node-local disk only (faster, but
    unsafe on network filesystems); the default is a rollback journal.
    """

    def __init__(self, path: str, *, wal: bool = False, timeout: float = 10.0):
        self.path = path
        self.wal = wal
        self.timeout = timeout
        self.moved_aside: str | None = None  # where a damaged file went, if one did
        # one thread: SQLite calls are serialized in the order they were made, and the
        # connection never crosses threads
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="funicular-jobstore")
        self._db: sqlite3.Connection | None = None
        # opened before the server serves (at the extension's loading): its errors are
        # the loader's to report, and the first request finds a working store
        self._pool.submit(self._open).result()

    # ------------------------------------------------------------------ opening
    def _open(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as e:
            if not _damaged(e):
                raise
            self._move_aside(str(e))
            self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(self.path, 0o600)
        db = sqlite3.connect(self.path, isolation_level=None, timeout=self.timeout)
        try:
            mode = "WAL" if self.wal else "DELETE"
            got = db.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
            if got.upper() != mode:
                log.warning("job store %s: journal mode %s, not %s", self.path, got, mode)
            check = db.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                err = sqlite3.DatabaseError("; ".join(str(r[0]) for r in check[:3]))
                err.sqlite_errorcode = sqlite3.SQLITE_CORRUPT  # type: ignore[attr-defined]
                raise err
            db.executescript(SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, why: str) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = f"{self.path}.damaged-{stamp}"
        n = 1
        while os.path.exists(aside):
            n += 1
            aside = f"{self.path}.damaged-{stamp}-{n}"
        for suffix in ("", *_SIDECARS):
            try:
                os.replace(self.path + suffix, aside + suffix)
            except FileNotFoundError:
                pass
        self.moved_aside = aside
        log.warning("job store %s is damaged (%s): moved aside to %s, starting a fresh "
                    "one; the jobs it listed are not shown", self.path, why, aside)

    # ------------------------------------------------------------------ the thread
    async def _call(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)`` in the store's thread; SQLite's and the disk's errors as
        JobStoreError."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, fn, *args)
        except (sqlite3.Error, OSError) as e:
            raise JobStoreError(f"the job store {self.path}: {e}") from e

    def close(self) -> None:
        """Waits for the calls in flight, then closes (from any thread but the store's)."""
        if self._db is not None:
            self._pool.submit(self._db.close).result()
            self._db = None
        self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------ records
    async def put(self, rec: JobRecord) -> None:
        await self._call(self._put, rec)

    def _put(self, rec: JobRecord) -> None:
        updated = time.time()
        values = [getattr(rec, c) for c in _COLUMNS]
        for key in _JSON:
            values[_COLUMNS.index(key)] = json.dumps(getattr(rec, key))
        values[_COLUMNS.index("updated")] = updated
        self._db.execute(
            f"INSERT OR REPLACE INTO jobs ({','.join(_COLUMNS)}) "
            f"VALUES ({','.join('?' * len(_COLUMNS))})", values)
        rec.updated = updated  # only once it is written

    def _rec(self, row) -> JobRecord:
        d = dict(zip(_COLUMNS, row, strict=True))
        for key in _JSON:
            d[key] = json.loads(d[key])
        return JobRecord(**d)

    def _select(self, where: str, args: tuple) -> list[JobRecord]:
        return [self._rec(r) for r in self._db.execute(f"{_SELECT} {where}", args)]

    async def get(self, job_id: str) -> JobRecord | None:
        recs = await self._call(self._select, "WHERE id = ?", (job_id,))
        return recs[0] if recs else None

    async def recent(self, limit: int = 500) -> list[JobRecord]:
        return await self._call(self._select, "ORDER BY submitted DESC LIMIT ?", (limit,))

    async def unfinished(self) -> list[JobRecord]:
        return [r for r in await self.recent(limit=100000) if not r.final]

    async def without_exit_code(self, since: float) -> list[JobRecord]:
        """Ended jobs, changed after ``since``, whose exit code accounting has not
        given yet (slurmdbd records a job's end a moment after slurmctld)."""
        recs = await self._call(self._select, "WHERE exit_code IS NULL AND updated > ? "
                                "AND backend_id IS NOT NULL", (since,))
        return [r for r in recs if r.final]
