"""The two ends of a transfer: a source read by ranges, a sink written by parts.

Local files and objects on either side, so one engine copies file to object, object
to file, object to object (also across stores and APIs) and file to file. A sink
never shows a half-written result: a local file is written to a hidden ``.part`` file
beside it and renamed when complete; an object is a multi-part upload that the store
makes visible only when it is completed.
"""

import hashlib
import os
import stat

from .checksum import META_MD5, META_PART_SIZE, ObjectInfo, composite, part_range
from .credentials import StoreCredentials
from .journal import Transfer
from .location import Location
from .stores import ObjectStore, get_store


class Source:
    size: int
    tag: str  # changes when the data does
    info: ObjectInfo | None = None
    part_size: int | None = None  # the source's own part size, so checksums compare

    def read(self, offset: int, length: int) -> bytes:
        raise NotImplementedError


class LocalSource(Source):
    def __init__(self, path: str):
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        self.path, self.size, self.tag = path, st.st_size, f"{st.st_size}:{st.st_mtime_ns}"

    def read(self, offset, length):
        fd = os.open(self.path, os.O_RDONLY)
        try:
            data = os.pread(fd, length, offset)
        finally:
            os.close(fd)
        if len(data) != length:
            raise OSError(f"{self.path} changed while being read")
        return data


class ObjectSource(Source):
    def __init__(self, store: ObjectStore, loc: Location):
        info = store.head(loc.container, loc.key)
        if info is None:
            raise FileNotFoundError(f"{loc}: no such object")
        self.store, self.loc, self.info = store, loc, info
        self.size, self.tag, self.part_size = info.size, info.etag, info.part_size

    def read(self, offset, length):
        return self.store.get_range(self.loc.container, self.loc.key, offset, length)


class Sink:
    local_path: str | None = None  # where the whole can be re-read (a local sink)

    def prepare(self, t: Transfer) -> dict[int, str]:
        """Opens (or reopens) the multi-part write; the parts already there {n: md5}."""
        raise NotImplementedError

    def write_part(self, t: Transfer, n: int, data: bytes, md5: str) -> None:
        raise NotImplementedError

    def finish(self, t: Transfer) -> str | None:
        """Makes the result visible; an object's ETag."""
        raise NotImplementedError

    def write_whole(self, t: Transfer, data: bytes, md5: str) -> str | None:
        raise NotImplementedError

    def discard(self, t: Transfer) -> None:
        """Forgets a write that will not be completed."""
        raise NotImplementedError


class LocalSink(Sink):
    def __init__(self, path: str):
        d, name = os.path.split(path)
        if not os.path.isdir(d):
            raise FileNotFoundError(f"{d}: no such directory")
        self.path, self.tmp = path, os.path.join(d, f".{name}.funicular-part")
        self.local_path = path

    def prepare(self, t):
        found = {}
        if t.done and os.path.exists(self.tmp) and os.path.getsize(self.tmp) == t.size:
            # re-read what the journal says is there: a crash may have cut a write short
            for n, md5 in t.done.items():
                off, ln = part_range(n, t.size, t.part_size)
                with open(self.tmp, "rb") as f:
                    f.seek(off)
                    if hashlib.md5(f.read(ln)).hexdigest() == md5:
                        found[n] = md5
        else:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.ftruncate(fd, t.size)
            os.close(fd)
        return found

    def write_part(self, t, n, data, md5):
        fd = os.open(self.tmp, os.O_WRONLY)
        try:
            os.pwrite(fd, data, part_range(n, t.size, t.part_size)[0])
            os.fsync(fd)  # the journal says "done" only for what is on disk
        finally:
            os.close(fd)

    def finish(self, t):
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)
        return None

    def write_whole(self, t, data, md5):
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return self.finish(t)

    def discard(self, t):
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class ObjectSink(Sink):
    def __init__(self, store: ObjectStore, loc: Location):
        if not loc.container or not loc.key or loc.key.endswith("/"):
            raise ValueError(f"{loc} does not name an object")
        self.store, self.loc = store, loc

    def prepare(self, t):
        c, k = self.loc.container, self.loc.key
        if t.handle:
            stored = self.store.stored_parts(c, k, t.handle)
            if stored or not t.done:
                return stored
            # the store forgot the upload (expired, or aborted): start it again
        t.handle = self.store.begin_upload(c, k, t.id, {META_PART_SIZE: str(t.part_size)})
        return {}

    def write_part(self, t, n, data, md5):
        self.store.put_part(self.loc.container, self.loc.key, t.handle, n, data, md5)

    def finish(self, t):
        md5s = [t.done[n] for n in sorted(t.done)]
        parts = [(md5, part_range(n, t.size, t.part_size)[1]) for n, md5 in enumerate(md5s)]
        etag = self.store.complete_upload(
            self.loc.container, self.loc.key, t.handle, parts,
            {META_PART_SIZE: str(t.part_size), META_MD5: composite(md5s)})
        t.handle = ""
        return etag

    def write_whole(self, t, data, md5):
        return self.store.put(self.loc.container, self.loc.key, data, md5, {})

    def discard(self, t):
        if t.handle:
            self.store.abort_upload(self.loc.container, self.loc.key, t.handle)
            t.handle = ""


def open_source(loc: Location, creds: StoreCredentials) -> Source:
    if loc.scheme == "file":
        return LocalSource(loc.key)
    if not loc.container or not loc.key or loc.key.endswith("/"):
        raise ValueError(f"{loc} does not name an object")
    return ObjectSource(get_store(loc.scheme, creds), loc)


def open_sink(loc: Location, creds: StoreCredentials) -> Sink:
    if loc.scheme == "file":
        return LocalSink(loc.key)
    return ObjectSink(get_store(loc.scheme, creds), loc)
