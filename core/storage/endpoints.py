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
from .parts import FilePart, PartReader, StreamPart
from .stores import MissingContainer, ObjectStore, get_store


class Source:
    size: int
    tag: str  # changes when the data does
    info: ObjectInfo | None = None
    part_size: int | None = None  # the source's own part size, so checksums compare

    def open_part(self, offset: int, length: int) -> PartReader:
        raise NotImplementedError

    def known_md5(self) -> str | None:
        """The whole's MD5, if the source knows it without reading."""
        return None


class LocalSource(Source):
    def __init__(self, path: str):
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        self.path, self.size, self.tag = path, st.st_size, f"{st.st_size}:{st.st_mtime_ns}"

    def open_part(self, offset, length):
        return FilePart(self.path, offset, length)


class ObjectSource(Source):
    def __init__(self, store: ObjectStore, loc: Location):
        info = store.head(loc.container, loc.key)
        if info is None:
            raise FileNotFoundError(f"{loc}: no such object")
        self.store, self.loc, self.info = store, loc, info
        self.size, self.tag, self.part_size = info.size, info.etag, info.part_size

    def known_md5(self):
        return None if self.info.large or "-" in self.info.etag else self.info.etag

    def open_part(self, offset, length):
        return StreamPart(lambda: self.store.iter_range(self.loc.container, self.loc.key,
                                                        offset, length), length)


class Sink:
    written_path: str | None = None  # where what was written can be re-read (local sinks)

    def ensure_container(self, create: bool) -> None:
        """Before anything is written: the container it writes into exists, or is made
        when ``create``; MissingContainer otherwise (a local sink's folder is checked
        when it is opened)."""

    def prepare(self, t: Transfer) -> dict[int, str]:
        """Opens (or reopens) the multi-part write; the parts already there {n: md5}."""
        raise NotImplementedError

    def write_part(self, t: Transfer, n: int, part: PartReader) -> str | None:
        """Writes all of ``part``; an object store's MD5 of what it received."""
        raise NotImplementedError

    def finish(self, t: Transfer) -> str | None:
        """Completes a multi-part write; an object's ETag (an object is visible now)."""
        raise NotImplementedError

    def write_whole(self, t: Transfer, part: PartReader, md5: str | None) -> str | None:
        """All in one; an object store refuses it unless its MD5 is ``md5``."""
        raise NotImplementedError

    def commit(self, t: Transfer) -> None:
        """Makes a checked result visible (a local file appears under its name)."""

    def discard(self, t: Transfer) -> None:
        """Forgets a write that will not be completed."""
        raise NotImplementedError


class LocalSink(Sink):
    def __init__(self, path: str, durable: bool = True):
        d, name = os.path.split(path)
        if not os.path.isdir(d):
            raise FileNotFoundError(f"{d}: no such directory")
        self.path, self.tmp = path, os.path.join(d, f".{name}.funicular-part")
        self.written_path, self.durable = self.tmp, durable

    def prepare(self, t):
        found = {}
        if t.done and os.path.exists(self.tmp) and os.path.getsize(self.tmp) == t.size:
            # re-read what the journal says is there: a crash may have cut a write short
            with open(self.tmp, "rb") as f:
                for n, md5 in t.done.items():
                    off, ln = part_range(n, t.size, t.part_size)
                    f.seek(off)
                    if hashlib.md5(f.read(ln)).hexdigest() == md5:
                        found[n] = md5
        else:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.ftruncate(fd, t.size)
            os.close(fd)
        return found

    def write_part(self, t, n, part):
        # no fsync per part: a resume re-reads every part the journal calls done
        # (``prepare``), so a part lost in a crash is noticed and fetched again
        fd = os.open(self.tmp, os.O_WRONLY)
        try:
            offset = part_range(n, t.size, t.part_size)[0]
            for chunk in part:
                os.pwrite(fd, chunk, offset)
                offset += len(chunk)
        finally:
            os.close(fd)
        return None

    def finish(self, t):
        if self.durable:  # the name appears only for data that is on disk
            fd = os.open(self.tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return None

    def write_whole(self, t, part, md5):
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            for chunk in part:
                f.write(chunk)
        return self.finish(t)

    def commit(self, t):
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)

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

    def ensure_container(self, create):
        c = self.loc.container
        if not self.store.container_exists(c):
            if not create:
                raise MissingContainer(c)
            self.store.create_container(c)

    def prepare(self, t):
        c, k = self.loc.container, self.loc.key
        if t.handle:
            stored = self.store.stored_parts(c, k, t.handle)
            if stored or not t.done:
                return stored
            # the store forgot the upload (expired, or aborted): start it again
        t.handle = self.store.begin_upload(c, k, t.id, {META_PART_SIZE: str(t.part_size)})
        return {}

    def write_part(self, t, n, part):
        return self.store.put_part(self.loc.container, self.loc.key, t.handle, n, part,
                                   part.length)

    def finish(self, t):
        md5s = [t.done[n] for n in sorted(t.done)]
        parts = [(md5, part_range(n, t.size, t.part_size)[1]) for n, md5 in enumerate(md5s)]
        etag = self.store.complete_upload(
            self.loc.container, self.loc.key, t.handle, parts,
            {META_PART_SIZE: str(t.part_size), META_MD5: composite(md5s)})
        t.handle = ""
        return etag

    def write_whole(self, t, part, md5):
        return self.store.put(self.loc.container, self.loc.key, part, part.length, {},
                              md5=md5)

    def commit(self, t):
        pass

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


def open_sink(loc: Location, creds: StoreCredentials, durable: bool = True) -> Sink:
    if loc.scheme == "file":
        return LocalSink(loc.key, durable)
    return ObjectSink(get_store(loc.scheme, creds), loc)
