"""Object storage and data transfers: locations, stores, the resumable transfer engine.

    swift://container/key   OpenStack Swift (python-swiftclient)
    s3://bucket/key         S3 or an S3-compatible API (boto3, s3fs)
    file:///path            the notebook's or the node's file system

``filesystem(scheme, creds)`` gives the fsspec filesystem for browsing; ``transfer``
moves data between any two locations. Used by the server extension, the
``funicular transfer`` CLI, and jobs staging data in and out on compute nodes.
"""

from .credentials import StoreCredentials
from .journal import Journal, Transfer
from .location import Location, parse


def filesystem(scheme: str, creds: StoreCredentials):
    """The fsspec filesystem for a scheme, logged in with ``creds``."""
    if scheme == "file":
        from fsspec.implementations.local import LocalFileSystem
        return LocalFileSystem()
    from .stores import get_store
    return get_store(scheme, creds).filesystem()


__all__ = ["Journal", "Location", "StoreCredentials", "Transfer", "filesystem", "parse"]
