"""A part of a transfer as a file object that hashes what it hands out.

Each byte is read once, hashed while it is in the CPU's cache and passed straight to
the socket or the file: no part-sized buffers, no second pass. The store answers
with the MD5 it computed itself (the part's ETag), and the engine compares the two:
the same end-to-end check as sending the MD5 first, without reading the part twice.
"""

import hashlib
import os

from .stores.base import StoreError

CHUNK = 2**20


class PartReader:
    def __init__(self, length: int):
        self.length, self.pos = length, 0
        self._md5, self._hashed = hashlib.md5(), 0

    def _read(self, n: int) -> bytes:
        raise NotImplementedError

    def _restart(self) -> None:
        raise NotImplementedError

    def read(self, n: int = -1) -> bytes:
        left = self.length - self.pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        data = self._read(n)
        if not data:
            raise StoreError(f"the source ended {left} bytes early")
        end = self.pos + len(data)
        if end > self._hashed:  # each byte is hashed once, however often it is read
            self._md5.update(data[self._hashed - self.pos:] if self._hashed > self.pos
                             else data)
            self._hashed = end
        self.pos = end
        return data

    def __iter__(self):
        while chunk := self.read(CHUNK):
            yield chunk

    def tell(self) -> int:
        return self.pos

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        """Back to the start only: clients that read a body twice (botocore signs it
        first). The MD5 is of the first reading; should the second differ (a file
        changed meanwhile), the store's MD5 of what it got will not match it."""
        if (offset, whence) not in ((0, 0), (self.pos, 0), (0, 1)):
            raise OSError("a part can only be rewound to its start")
        if (offset, whence) == (0, 0) and self.pos:
            self._restart()
            self.pos = 0
        return self.pos

    def md5(self) -> str:
        if self.pos != self.length or self._hashed != self.length:
            raise StoreError(f"only {self.pos} of the part's {self.length} bytes were sent")
        return self._md5.hexdigest()

    def close(self) -> None:
        pass


class FilePart(PartReader):
    def __init__(self, path: str, offset: int, length: int):
        super().__init__(length)
        self.offset = offset
        self.fd = os.open(path, os.O_RDONLY)
        self._buf, self._at = b"", 0  # read ahead: clients ask for 8 KiB at a time

    def _read(self, n):
        if self.pos < self._at or self.pos >= self._at + len(self._buf):
            want = min(max(n, CHUNK), self.length - self.pos)
            self._buf, self._at = os.pread(self.fd, want, self.offset + self.pos), self.pos
            if not self._buf:
                raise OSError("the file changed while being read")
        start = self.pos - self._at
        return self._buf[start:start + n]

    def _restart(self):
        pass

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class StreamPart(PartReader):
    """From an iterator of chunks (an object's range as it arrives)."""

    def __init__(self, open_stream, length: int):
        super().__init__(length)
        self._open = open_stream
        self._it, self._buf = open_stream(), b""

    def _read(self, n):
        while not self._buf:
            chunk = next(self._it, None)
            if chunk is None:
                return b""
            self._buf = chunk
        if n >= len(self._buf):  # the usual case: the whole chunk, not a copy of it
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def _restart(self):
        self._it, self._buf = self._open(), b""
