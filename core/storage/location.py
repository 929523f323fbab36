"""Where data lives: ``swift://container/key``, ``s3://bucket/key``, ``file:///path``.

One notion of a location for every store, parsed strictly from untrusted strings: a
``Location`` that exists names one container (or the store's root) and a key that
cannot escape it (no ``..`` or empty segments, no control characters).
"""

import os
import re
from dataclasses import dataclass

from ..errors import SpecError

SCHEMES = ("swift", "s3", "file")
# Swift allows almost anything up to 256 bytes; we take the portable subset
_SWIFT_CONTAINER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
# S3's bucket rules (3-63 characters, lower case)
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MAX_KEY = 1024


@dataclass(frozen=True)
class Location:
    scheme: str  # swift | s3 | file
    container: str = ""  # the container or bucket; "" is the store's root (or for file)
    key: str = ""  # the object key (may end in "/" for a prefix); for file, the path

    @property
    def is_object_store(self) -> bool:
        return self.scheme != "file"

    @property
    def name(self) -> str:
        """The last segment: what a copy into a folder calls it."""
        return self.key.rstrip("/").rsplit("/", 1)[-1] or self.container

    @property
    def prefix(self) -> str:
        """The key as a folder: what the keys of objects inside it start with."""
        return self.key if not self.key or self.key.endswith("/") else self.key + "/"

    def child(self, name: str) -> "Location":
        if self.scheme == "file":
            return parse(f"file://{self.key.rstrip('/')}/{name}")
        if not self.container:
            return parse(f"{self.scheme}://{name}")
        return parse(f"{self.scheme}://{self.container}/{self.prefix}{name}")

    def __str__(self) -> str:
        if self.scheme == "file":
            return f"file://{self.key}"
        return f"{self.scheme}://{self.container}" + (f"/{self.key}" if self.key else "")


def _key(field: str, key: str) -> str:
    if len(key.encode()) > MAX_KEY:
        raise SpecError(field, f"the key is longer than {MAX_KEY} bytes")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise SpecError(field, "the key contains control characters")
    parts = key.rstrip("/").split("/") if key else []
    if any(p in ("", ".", "..") for p in parts):
        raise SpecError(field, f"{key!r} has an empty, '.' or '..' segment")
    return key


def parse(url: object, field: str = "location") -> Location:
    """A ``Location`` from a URL, or a SpecError that says what is wrong with it.

    A bare absolute path is a ``file://`` location.
    """
    if not isinstance(url, str) or not url:
        raise SpecError(field, "must be a location such as swift://container/key, "
                        "s3://bucket/key or file:///path")
    if url.startswith("/"):
        url = "file://" + url
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in SCHEMES:
        raise SpecError(field, f"{url!r}: the scheme must be one of "
                        f"{', '.join(s + '://' for s in SCHEMES)}")
    if scheme == "file":
        if not rest.startswith("/"):
            raise SpecError(field, f"{url!r}: a file location needs an absolute path")
        if any(ord(c) < 32 or ord(c) == 127 for c in rest) or len(rest) > 4096:
            raise SpecError(field, f"{url!r}: control characters or too long")
        if os.path.normpath(rest) != rest.rstrip("/") and rest != "/":
            raise SpecError(field, f"{url!r}: the path must be normalised (no '..', '.' "
                            "or '//')")
        return Location("file", "", rest)
    container, _, key = rest.partition("/")
    if container:
        pattern = _S3_BUCKET if scheme == "s3" else _SWIFT_CONTAINER
        if not pattern.fullmatch(container) or ".." in container:
            raise SpecError(field, f"{container!r} is not a valid "
                            f"{'bucket' if scheme == 's3' else 'container'} name")
    elif key:
        raise SpecError(field, f"{url!r}: a key needs a container")
    return Location(scheme, container, _key(field, key))


def relative(field: str, path: object) -> str:
    """A path relative to a job's directory: no absolute paths, no way out."""
    if not isinstance(path, str) or not path or path.startswith("/"):
        raise SpecError(field, f"{path!r} must be a relative path")
    _key(field, path)
    return path
