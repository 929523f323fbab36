"""An fsspec filesystem for the Swift API, over python-swiftclient (``swift://``).

swiftspec, the only published one, cannot be used (https only, no put/get, whole
objects in memory). Paths are ``container/key``; "directories" below a container are
key prefixes, as in Swift's own delimiter listings. Whole-file writes here are for
small files; large transfers go through ``funicular.core.storage.transfer``.

fsspec finds it by funicular's entry point (group "fsspec.specs"), so
``fsspec.open("swift://container/key")`` and ``pandas.read_csv("swift://...")`` work
with the credentials of the environment. fsspec caches filesystems by their
arguments: one built from the environment keeps the credentials it first saw.
"""

import hashlib
from dataclasses import fields

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from .credentials import PREFIX, StoreCredentials
from .stores.base import StoreError

_CRED_FIELDS = {f.name for f in fields(StoreCredentials)}


class SwiftFileSystem(AbstractFileSystem):
    protocol = ("swift",)
    root_marker = ""

    def __init__(self, store=None, **kw):
        """``store``: a SwiftStore; or the credential fields of StoreCredentials
        (``swift_auth_url``, ``swift_user``, ``swift_key``, for Keystone v3 also
        ``swift_project_name`` and the others: pandas' ``storage_options``); or, with
        none of them, the credentials in the environment. The rest are fsspec's own
        options."""
        given = {k: kw.pop(k) for k in _CRED_FIELDS & set(kw)}
        super().__init__(**kw)
        if store is None:
            from .stores.swift import SwiftStore
            creds = StoreCredentials(**given) if given else StoreCredentials.from_environment()
            if not creds.has("swift"):
                raise ValueError(
                    "swift://: no credentials: pass swift_auth_url, swift_user and swift_key, "
                    f"or set {PREFIX}SWIFT_AUTH_URL, {PREFIX}SWIFT_USER and "
                    f"{PREFIX}SWIFT_KEY (or the swift client's ST_AUTH, ST_USER, ST_KEY, or "
                    "for Keystone v3 an openrc's OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, "
                    "OS_PROJECT_NAME...)")
            store = SwiftStore(creds)
        self.store = store

    @classmethod
    def _strip_protocol(cls, path):
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        path = path.removeprefix("swift://")
        return path.strip("/")

    def _call(self, what, name, *args, **kw):
        try:
            return self.store.call(what, name, *args, **kw)
        except StoreError as e:
            if e.status == 404:
                raise FileNotFoundError(what) from None
            if e.status in (401, 403):
                raise PermissionError(str(e)) from None
            raise

    def ls(self, path, detail=True, **kw):
        path = self._strip_protocol(path)
        if not path:
            _, conts = self._call("GET account", "get_account", full_listing=True)
            out = [{"name": c["name"], "type": "directory", "size": c.get("bytes", 0)}
                   for c in conts]
        else:
            container, _, prefix = path.partition("/")
            if prefix:
                prefix += "/"
            _, objs = self._call(f"GET {container}", "get_container", container,
                                 prefix=prefix, delimiter="/", full_listing=True)
            out = []
            for o in objs:
                if "subdir" in o:
                    out.append({"name": f"{container}/{o['subdir'].rstrip('/')}",
                                "type": "directory", "size": 0})
                else:
                    out.append({"name": f"{container}/{o['name']}", "type": "file",
                                "size": o["bytes"], "etag": o["hash"],
                                "last_modified": o["last_modified"]})
            if prefix and not out:
                info = self.info(path)
                if info["type"] == "file":
                    out = [info]
        return out if detail else [o["name"] for o in out]

    def info(self, path, **kw):
        path = self._strip_protocol(path)
        container, _, key = path.partition("/")
        if not container:
            return {"name": "", "type": "directory", "size": 0}
        if not key:
            h = self._call(f"HEAD {container}", "head_container", container)
            return {"name": container, "type": "directory",
                    "size": int(h.get("x-container-bytes-used", 0))}
        obj = self.store.head(container, key)
        if obj is not None:
            return {"name": path, "type": "file", "size": obj.size, "etag": obj.etag,
                    "last_modified": obj.modified, "meta": obj.meta}
        _, objs = self._call(f"GET {container}", "get_container", container,
                             prefix=key + "/", limit=1)
        if objs:
            return {"name": path, "type": "directory", "size": 0}
        raise FileNotFoundError(path)

    def mkdir(self, path, create_parents=True, **kw):
        container = self._strip_protocol(path).partition("/")[0]
        self._call(f"PUT {container}", "put_container", container)

    def makedirs(self, path, exist_ok=False):
        self.mkdir(path)

    def rmdir(self, path):
        path = self._strip_protocol(path)
        if "/" not in path:
            self._call(f"DELETE {path}", "delete_container", path)

    def rm_file(self, path):
        container, _, key = self._strip_protocol(path).partition("/")
        try:
            self.store.delete(container, key)
        except StoreError as e:
            if e.status == 404:
                raise FileNotFoundError(path) from None
            raise

    def _rm(self, path):
        self.rm_file(path)

    def cat_file(self, path, start=None, end=None, **kw):
        container, _, key = self._strip_protocol(path).partition("/")
        if start is None and end is None:
            return self._call(f"GET {path}", "get_object", container, key)[1]
        size = self.info(path)["size"]
        start = max(0, size + start if start and start < 0 else start or 0)
        end = size if end is None else min(size, size + end if end < 0 else end)
        return self.store.get_range(container, key, start, max(0, end - start))

    def pipe_file(self, path, value, **kw):
        container, _, key = self._strip_protocol(path).partition("/")
        self.store.put(container, key, value, len(value), {},
                       md5=hashlib.md5(value).hexdigest())

    def _open(self, path, mode="rb", block_size=None, autocommit=True, cache_options=None,
              **kw):
        return SwiftFile(self, path, mode, block_size or 5 * 2**20, autocommit,
                         cache_options=cache_options, **kw)


class SwiftFile(AbstractBufferedFile):
    def _fetch_range(self, start, end):
        container, _, key = self.fs._strip_protocol(self.path).partition("/")
        return self.fs.store.get_range(container, key, start, end - start)

    def _initiate_upload(self):
        pass

    def _upload_chunk(self, final=False):
        if not final:
            return False  # keep buffering: the object is written once, on close
        self.fs.pipe_file(self.path, self.buffer.getvalue())
        return True
