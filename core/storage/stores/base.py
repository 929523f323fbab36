"""What the transfer engine needs from an object store, and the stores by scheme.

Multi-part uploads are the store's own (S3 multipart uploads, Swift static large
objects): the object appears only when the last call completes it, so a half-written
object is never visible, and parts already stored survive an interruption.
"""

from collections.abc import Iterator

from ...registry import Known, Registry
from ..checksum import ObjectInfo
from ..credentials import StoreCredentials


class StoreError(RuntimeError):
    """A store call failed; ``status`` is the HTTP status, None if none came back."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """Worth retrying: no answer, or the store says it is overloaded or failing."""
        return self.status is None or self.status in (408, 429) or self.status >= 500


class MissingContainer(FileNotFoundError):
    """The container (bucket) a transfer writes into does not exist, and nobody asked
    for it to be made: said before anything is written, so nothing is left behind."""

    def __init__(self, container: str, hint: str = ""):
        super().__init__(f"container {container} does not exist" + (f" ({hint})" if hint
                                                                     else ""))
        self.container = container


class ObjectStore:
    scheme = ""

    def __init__(self, creds: StoreCredentials):
        creds.require(self.scheme)
        self.creds = creds

    # containers
    def container_exists(self, container: str) -> bool:
        """False only when the store says there is no such container (404)."""
        raise NotImplementedError

    def create_container(self, container: str) -> None:
        """Makes it; one that exists already is fine."""
        raise NotImplementedError

    # objects
    def head(self, container: str, key: str) -> ObjectInfo | None:
        raise NotImplementedError

    def iter_range(self, container: str, key: str, offset: int, length: int,
                   chunk: int = 2**20) -> Iterator[bytes]:
        """The range as it arrives, so the reader hashes while more comes in."""
        raise NotImplementedError

    def put(self, container: str, key: str, body, length: int, meta: dict,
            md5: str | None = None) -> str:
        """One request for a whole object (bytes, or a file object of ``length`` bytes);
        the store checks ``md5`` if given. Returns its ETag: the MD5 it computed."""
        raise NotImplementedError

    # multi-part uploads
    def begin_upload(self, container: str, key: str, upload_id: str, meta: dict) -> str:
        """Starts an upload; returns the store's handle for it (kept in the journal)."""
        raise NotImplementedError

    def put_part(self, container: str, key: str, handle: str, n: int, body,
                 length: int) -> str:
        """Stores part ``n`` from a file object; the MD5 the store computed of it."""
        raise NotImplementedError

    def stored_parts(self, container: str, key: str, handle: str) -> dict[int, str]:
        """The parts the store holds for an upload: {n: md5}."""
        raise NotImplementedError

    def complete_upload(self, container: str, key: str, handle: str,
                        parts: list[tuple[str, int]], meta: dict) -> str:
        """Makes the object visible from the parts [(md5, size)]; returns its ETag."""
        raise NotImplementedError

    def abort_upload(self, container: str, key: str, handle: str) -> None:
        raise NotImplementedError

    # sharing
    def share_url(self, container: str, key: str, seconds: int) -> str:
        """A URL anyone can GET the object with until it expires."""
        raise NotImplementedError

    def filesystem(self):
        """The fsspec filesystem over the same account (ls, info, rm, open...)."""
        raise NotImplementedError


_PKG = "funicular.core.storage.stores"
_INSTALL = "pip install 'funicular[storage]'"
# by scheme; a store's module (and its client library) is imported when first used
STORES = Registry("object store", {
    "s3": Known(f"{_PKG}.s3:S3Store", _INSTALL),
    "swift": Known(f"{_PKG}.swift:SwiftStore", _INSTALL),
})


def register(cls: type[ObjectStore]) -> type[ObjectStore]:
    """Class decorator: a site's own store, by its ``scheme``."""
    STORES.register(cls.scheme, cls, clobber=True)
    return cls


def get_store(scheme: str, creds: StoreCredentials) -> ObjectStore:
    """The store for a scheme, logged in with ``creds`` (ValueError for an unknown one)."""
    return STORES.get(scheme)(creds)
