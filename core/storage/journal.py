"""A transfer's record, which is also what lets it resume: one 0600 JSON file each.

Written after every part, atomically (write then rename), in a 0700 directory of the
user's, so a transfer outlives its kernel, its notebook server and a store outage:
whoever reads the record next (the server extension, ``funicular transfer``) knows
which parts are safe and continues from there.
"""

import contextlib
import fcntl
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field

STATES = ("queued", "running", "done", "interrupted", "failed", "cancelled")
ENDED = ("done", "failed", "cancelled")
RESUMABLE = ("interrupted", "failed")


@dataclass
class Transfer:
    id: str
    src: str
    dst: str
    state: str = "queued"
    size: int = 0
    part_size: int = 0
    done: dict[int, str] = field(default_factory=dict)  # part -> its MD5, as stored
    bytes_done: int = 0
    bytes_moved: int = 0  # over every run: less than twice the size means it resumed
    runs: int = 0
    source_tag: str = ""  # the source's identity (ETag, or size and mtime) when planned
    handle: str = ""  # the store's multi-part upload, while one is open
    checksum: str = ""  # of the whole: MD5, or MD5-of-part-MD5s "-N"
    verified: str = ""  # what it was checked against: md5, etag, size
    error: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    seconds: float = 0.0  # time spent moving, over every run

    @classmethod
    def new(cls, src: str, dst: str) -> "Transfer":
        return cls(id=secrets.token_hex(6), src=src, dst=dst)

    @property
    def rate(self) -> float | None:
        """MB/s (1e6 B/s) of the last run's bytes over the time spent."""
        return self.bytes_done / self.seconds / 1e6 if self.seconds and self.bytes_done else None

    def to_json(self) -> dict:
        d = asdict(self)
        d["done"] = {str(k): v for k, v in self.done.items()}
        d["parts"] = -(-self.size // self.part_size) if self.part_size else None
        d["rate_mb_s"] = round(self.rate, 1) if self.rate else None
        d["resumable"] = self.state in RESUMABLE
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Transfer":
        d = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        d["done"] = {int(k): v for k, v in d.get("done", {}).items()}
        return cls(**d)


class Journal:
    def __init__(self, path: str):
        self.path = path
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)

    def _file(self, tid: str) -> str:
        if not tid.isalnum():
            raise KeyError(tid)
        return os.path.join(self.path, f"{tid}.json")

    def save(self, t: Transfer) -> None:
        tmp = self._file(t.id) + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(t.to_json(), f)
        os.replace(tmp, self._file(t.id))

    def load(self, tid: str) -> Transfer:
        try:
            with open(self._file(tid)) as f:
                return Transfer.from_json(json.load(f))
        except FileNotFoundError:
            raise KeyError(tid) from None

    def all(self) -> list[Transfer]:
        out = []
        for name in os.listdir(self.path):
            if name.endswith(".json"):
                try:
                    out.append(self.load(name[:-5]))
                except (KeyError, ValueError, TypeError):
                    continue  # a damaged record: not ours to guess at
        return sorted(out, key=lambda t: t.created)

    def delete(self, tid: str) -> None:
        for path in (self._file(tid), self._file(tid)[:-5] + ".lock"):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

    @contextlib.contextmanager
    def running(self, tid: str):
        """Held while a process runs the transfer: a second runner (the server and
        ``funicular transfer resume`` at once) gets BlockingIOError. A record that says
        "running" while nobody holds this was cut off, and may be resumed."""
        fd = os.open(self._file(tid)[:-5] + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            yield
        finally:
            os.close(fd)

    def is_running(self, tid: str) -> bool:
        try:
            with self.running(tid):
                return False
        except BlockingIOError:
            return True


def default_path() -> str:
    """Next to the job records: in the home, so every kernel, terminal and job sees it."""
    base = os.environ.get("JUPYTER_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "jupyter")
    return os.path.join(base, "funicular", "transfers")
