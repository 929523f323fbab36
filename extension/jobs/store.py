"""The user's job records, in SQLite in the user's Jupyter data directory.

The notebook server is a Slurm job itself and ends; kernels restart; pages reload.
The records outlive all of them: a server started tomorrow lists today's jobs with
their final state. One file per user (mode 0600), written by this server only;
SQLite's own locking covers a second server of the same user.
"""

import json
import os
import secrets
import sqlite3
import time
from dataclasses import asdict, dataclass, field

from funicular.core.slurm.jobinfo import ACTIVE_STATES

# not final either: on its way to the scheduler, or lost from its view for a moment
IN_FLIGHT = frozenset({"SUBMITTING", "UNKNOWN"})

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


class JobStore:
    def __init__(self, path: str):
        self.path = path
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def put(self, rec: JobRecord) -> None:
        rec.updated = time.time()
        values = [getattr(rec, c) for c in _COLUMNS]
        for key in _JSON:
            values[_COLUMNS.index(key)] = json.dumps(getattr(rec, key))
        self._db.execute(
            f"INSERT OR REPLACE INTO jobs ({','.join(_COLUMNS)}) "
            f"VALUES ({','.join('?' * len(_COLUMNS))})", values)

    def _rec(self, row) -> JobRecord:
        d = dict(zip(_COLUMNS, row, strict=True))
        for key in _JSON:
            d[key] = json.loads(d[key])
        return JobRecord(**d)

    def get(self, job_id: str) -> JobRecord | None:
        row = self._db.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE id = ?",
                               (job_id,)).fetchone()
        return self._rec(row) if row else None

    def recent(self, limit: int = 500) -> list[JobRecord]:
        rows = self._db.execute(f"SELECT {','.join(_COLUMNS)} FROM jobs "
                                "ORDER BY submitted DESC LIMIT ?", (limit,)).fetchall()
        return [self._rec(r) for r in rows]

    def unfinished(self) -> list[JobRecord]:
        return [r for r in self.recent(limit=100000) if not r.final]

    def without_exit_code(self, since: float) -> list[JobRecord]:
        """Ended jobs, changed after ``since``, whose exit code accounting has not
        given yet (slurmdbd records a job's end a moment after slurmctld)."""
        rows = self._db.execute(
            f"SELECT {','.join(_COLUMNS)} FROM jobs WHERE exit_code IS NULL AND updated > ? "
            "AND backend_id IS NOT NULL", (since,)).fetchall()
        return [r for r in map(self._rec, rows) if r.final]
