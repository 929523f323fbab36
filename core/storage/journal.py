"""A transfer's record, which is also what lets it resume: one 0600 JSON file each.

Written after every part, atomically and durably (write a temporary file, fsync it,
rename it over the record, fsync the directory: a crash of the node leaves the old
record or the new one, never an empty or half-written one), in a 0700 directory of the
user's, so a transfer outlives its kernel, its notebook server and a store outage:
whoever reads the record next (the server extension, ``funicular transfer``) knows
which parts are safe and continues from there.

Records are read back with their fields' types checked: one record damaged by hand,
by an older writer or by a disk is skipped with a warning that names its file, and
every other transfer still lists.
"""

import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
import types
from dataclasses import MISSING, asdict, dataclass, field, fields

log = logging.getLogger("funicular.transfers")

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
    create_container: bool = False  # a missing destination container is made, not refused
    checksum: str = ""  # of the whole: MD5, or MD5-of-part-MD5s "-N"
    verified: str = ""  # what it was checked against: md5, etag, size
    error: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    seconds: float = 0.0  # time spent moving, over every run

    @classmethod
    def new(cls, src: str, dst: str, create_container: bool = False) -> "Transfer":
        return cls(id=secrets.token_hex(6), src=src, dst=dst,
                   create_container=create_container)

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
    def from_json(cls, d: object) -> "Transfer":
        """A record as ``to_json`` wrote it; DamagedRecord names the first field that
        is missing or of the wrong type (extra keys, like the derived ones, are fine)."""
        if not isinstance(d, dict):
            raise DamagedRecord(f"a JSON object was expected, not {type(d).__name__}")
        values = {}
        for f in fields(cls):
            if f.name not in d:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise DamagedRecord(f"{f.name}: missing")
                continue
            values[f.name] = _checked(f.name, d[f.name], f.type)
        if values["state"] not in STATES:
            raise DamagedRecord(f"state: {values['state']!r} is none of {', '.join(STATES)}")
        return cls(**values)


class DamagedRecord(ValueError):
    """A record file that is not a transfer's record."""


def _checked(name: str, value: object, tp: object) -> object:
    """``value`` as the field's type ``tp`` (JSON has no int keys, and writes a whole
    float as an int), or DamagedRecord."""
    if isinstance(tp, types.UnionType):  # X | None
        if value is None and type(None) in tp.__args__:
            return None
        tp = next(a for a in tp.__args__ if a is not type(None))
    if tp is str and isinstance(value, str):
        return value
    if tp is bool and isinstance(value, bool):
        return value
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if getattr(tp, "__origin__", None) is dict and isinstance(value, dict):  # done
        try:
            out = {int(k): v for k, v in value.items()}
        except ValueError:
            raise DamagedRecord(f"{name}: part numbers must be whole numbers") from None
        if all(isinstance(v, str) for v in out.values()):
            return out
    raise DamagedRecord(f"{name}: {type(value).__name__} {value!r:.40} is not of type "
                        f"{getattr(tp, '__name__', tp)}")


class Journal:
    def __init__(self, path: str):
        self.path = path
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
        self._warned: set[tuple[str, float]] = set()  # damaged files, said once each

    def _file(self, tid: str) -> str:
        if not tid.isalnum():
            raise KeyError(tid)
        return os.path.join(self.path, f"{tid}.json")

    def save(self, t: Transfer) -> None:
        """Replaces the record whole or not at all; on a failure (a full disk) the old
        record stays as it was and no temporary file is left."""
        path = self._file(t.id)
        data = json.dumps(t.to_json()).encode()
        # one temporary file per writer: the server and the CLI may save at once
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path)

    def load(self, tid: str) -> Transfer:
        """KeyError if there is no record ``tid``; DamagedRecord if it is not one."""
        path = self._file(tid)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise KeyError(tid) from None
        try:
            t = Transfer.from_json(json.loads(raw))
        except ValueError as e:  # DamagedRecord, or not JSON at all
            raise DamagedRecord(f"{path}: {e}") from None
        if t.id != tid:
            raise DamagedRecord(f"{path}: it is the record of {t.id!r}")
        return t

    def all(self) -> list[Transfer]:
        """Every readable record, oldest first; a damaged one is skipped, with a
        warning (once per version of the file) that names it."""
        out = []
        for name in os.listdir(self.path):
            if not name.endswith(".json"):
                continue
            try:
                out.append(self.load(name[:-5]))
            except KeyError:
                continue  # gone since the listing (forgotten), or not a record's name
            except (DamagedRecord, OSError) as e:
                self._warn(os.path.join(self.path, name), e)
        return sorted(out, key=lambda t: t.created)

    def _warn(self, path: str, err: Exception) -> None:
        try:
            key = (path, os.stat(path).st_mtime)
        except OSError:
            key = (path, 0.0)
        if key not in self._warned:
            self._warned.add(key)
            log.warning("skipped a damaged transfer record: %s", err)

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


def _fsync_dir(path: str) -> None:
    """The rename itself made durable: it is an entry of the directory."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def default_path() -> str:
    """Next to the job records: in the home, so every kernel, terminal and job sees it."""
    base = os.environ.get("JUPYTER_DATA_DIR") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "jupyter")
    return os.path.join(base, "funicular", "transfers")
