"""OpenStack Swift through python-swiftclient.

Large objects are static large objects (SLO): segments go to ``<container>_segments``
(the ``swift`` CLI's convention) under ``<key>/funicular/<upload id>/``, and the
manifest that makes the object visible is written last. One connection per thread
(a swiftclient ``Connection`` is not thread-safe); retries are the engine's, not
swiftclient's, so an unreachable store is reported at once.

The login is auth v1.0 or Keystone v3 (see ``credentials``), both through
swiftclient's own code (``auth_version``, ``os_options``), as the ``swift`` command
line does it; v3 needs python-keystoneclient beside swiftclient. An expired token is
replaced by swiftclient itself (one new login on a 401, for either version).
"""

import importlib.util
import json
import secrets
import threading
from urllib.parse import quote, urlsplit

from swiftclient.utils import LengthWrapper

from ..checksum import ObjectInfo
from .base import ObjectStore, StoreError

META = "x-object-meta-"
# the fsspec filesystem over a SwiftStore (also the "fsspec.specs" entry point's value)
FILESYSTEM = "funicular.core.storage.swiftfs.SwiftFileSystem"


class _SizedChunks(LengthWrapper):
    """A part as a request body of known length, sent in its own 1 MiB chunks.

    A file object would be read 8 KiB at a time by http.client (a Python call, a read
    and a hash update per 8 KiB); a plain iterable goes chunked, which costs the
    proxy more CPU than the transfer saves. swiftclient passes its own LengthWrapper
    through untouched, so this is one: with a length, and without ``read``.
    """

    def __init__(self, part, length: int):  # none of LengthWrapper's own state
        self._part, self._len = part, length

    def __len__(self):
        return self._len

    def __iter__(self):
        return iter(self._part)

    @property
    def read(self):
        raise AttributeError("read")  # requests then iterates


def _body(body, length: int):
    return body if isinstance(body, bytes) else _SizedChunks(body, length)


def _error(e: Exception, what: str) -> StoreError:
    status = getattr(e, "http_status", None)
    reason = getattr(e, "http_reason", "") or (str(e).strip().splitlines() or [""])[0][:200]
    if status is None and reason.startswith("Unauthorized"):
        # swiftclient's words for Keystone refusing the login (it gives no status):
        # a 401, not an outage to retry
        status = 401
    return StoreError(f"swift: {what}: {status or ''} {reason}".replace("  ", " "), status)


def has_keystoneclient() -> bool:
    """swiftclient's v3 login imports it (it is not one of swiftclient's requirements)."""
    return importlib.util.find_spec("keystoneclient") is not None


def connection_args(creds) -> dict:
    """``swiftclient.Connection``'s login arguments for ``creds``: auth v1.0, or
    Keystone v3 with its ``os_options`` (domains, project, region; an application
    credential's id and secret). ValueError for a v3 login that cannot work."""
    args = {"authurl": creds.swift_auth_url, "user": creds.swift_user,
            "key": creds.swift_key, "auth_version": "1"}
    if not creds.swift_keystone:
        return args
    if not has_keystoneclient():
        raise ValueError("swift: a Keystone v3 login needs python-keystoneclient "
                         "(pip install python-keystoneclient)")
    scope = creds.keystone_scope()
    options = {name.removeprefix("swift_"): value for name, value in scope.items() if value}
    if creds.swift_app_credential:
        # the id and secret also as user and key: swiftclient logs in again on a 401
        # (an expired token) only when it has both
        options.update(auth_type="v3applicationcredential",
                       application_credential_id=creds.swift_user,
                       application_credential_secret=creds.swift_key)
    elif not (creds.swift_project_name or creds.swift_project_id):
        raise ValueError("swift: a Keystone v3 login needs the project (swift_project_name "
                         "or swift_project_id; OS_PROJECT_NAME or OS_PROJECT_ID)")
    return {**args, "auth_version": "3", "os_options": options}


class SwiftStore(ObjectStore):
    scheme = "swift"

    def __init__(self, creds, timeout: float = 60):
        super().__init__(creds)
        connection_args(creds)  # a login that cannot work is said here, not per call
        self._local = threading.local()
        self._timeout = timeout

    @property
    def conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import swiftclient
            conn = swiftclient.Connection(**connection_args(self.creds), retries=0,
                                          timeout=self._timeout)
            self._local.conn = conn
        return conn

    def call(self, what: str, name: str, *args, **kw):
        try:
            return getattr(self.conn, name)(*args, **kw)
        except Exception as e:
            raise _error(e, what) from None

    @staticmethod
    def segments(container: str, key: str, handle: str) -> tuple[str, str]:
        return f"{container}_segments", f"{key}/funicular/{handle}/"

    def container_exists(self, container):
        try:
            self.conn.head_container(container)
        except Exception as e:
            err = _error(e, f"HEAD {container}")
            if err.status == 404:
                return False
            raise err from None
        return True

    def create_container(self, container):
        self.call(f"PUT {container}", "put_container", container)

    def head(self, container, key):
        try:
            h = self.conn.head_object(container, key)
        except Exception as e:
            err = _error(e, f"HEAD {container}/{key}")
            if err.status == 404:
                return None
            raise err from None
        return ObjectInfo(
            size=int(h["content-length"]), etag=h.get("etag", "").strip('"'),
            meta={k[len(META):]: v for k, v in h.items() if k.startswith(META)},
            large=h.get("x-static-large-object", "").lower() == "true"
            or "x-object-manifest" in h,
            modified=h.get("last-modified", ""))

    def get_range(self, container, key, offset, length):
        if length == 0:
            return b""
        _, body = self.call(f"GET {container}/{key}", "get_object", container, key,
                            headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        if len(body) != length:
            raise StoreError(f"swift: GET {container}/{key}: {len(body)} bytes of {length}")
        return body

    def iter_range(self, container, key, offset, length, chunk=2**20):
        if length == 0:
            return
        _, body = self.call(f"GET {container}/{key}", "get_object", container, key,
                            resp_chunk_size=chunk,
                            headers={"Range": f"bytes={offset}-{offset + length - 1}"})
        try:
            yield from body
        except Exception as e:
            raise _error(e, f"GET {container}/{key}") from None

    def put(self, container, key, body, length, meta, md5=None):
        return self.call(f"PUT {container}/{key}", "put_object", container, key,
                         contents=_body(body, length), content_length=length, etag=md5,
                         headers={f"X-Object-Meta-{k}": v for k, v in meta.items()}
                         ).strip('"')

    def begin_upload(self, container, key, upload_id, meta):
        self.call(f"PUT {container}_segments", "put_container", f"{container}_segments")
        return upload_id

    def put_part(self, container, key, handle, n, body, length):
        segc, prefix = self.segments(container, key, handle)
        return self.call(f"PUT segment {n}", "put_object", segc, f"{prefix}{n:08d}",
                         contents=_body(body, length), content_length=length).strip('"')

    def stored_parts(self, container, key, handle):
        segc, prefix = self.segments(container, key, handle)
        try:
            _, objs = self.conn.get_container(segc, prefix=prefix, full_listing=True)
        except Exception as e:
            err = _error(e, f"GET {segc}")
            if err.status == 404:
                return {}
            raise err from None
        return {int(o["name"][len(prefix):]): o["hash"] for o in objs
                if o["name"][len(prefix):].isdigit()}

    def _old_segments(self, container, key) -> list[str]:
        """The segments of a Funicular SLO about to be overwritten (to delete after)."""
        info = self.head(container, key)
        if info is None or not info.large:
            return []
        _, body = self.call("GET manifest", "get_object", container, key,
                            query_string="multipart-manifest=get")
        try:
            paths = [s["name"] for s in json.loads(body)]
        except (ValueError, KeyError, TypeError):
            return []
        mine = f"/{container}_segments/{key}/funicular/"
        return [p for p in paths if p.startswith(mine)]

    def complete_upload(self, container, key, handle, parts, meta):
        segc, prefix = self.segments(container, key, handle)
        manifest = [{"path": f"/{segc}/{prefix}{n:08d}", "etag": md5, "size_bytes": size}
                    for n, (md5, size) in enumerate(parts)]
        old = self._old_segments(container, key)
        etag = self.call(f"PUT manifest {container}/{key}", "put_object", container, key,
                         contents=json.dumps(manifest), query_string="multipart-manifest=put",
                         headers={f"X-Object-Meta-{k}": v for k, v in meta.items()})
        for path in old:
            _, _, name = path[1:].partition("/")
            try:
                self.conn.delete_object(segc, name)
            except Exception:  # noqa: S110 (an orphan segment costs space, not data)
                pass
        return etag.strip('"')

    def abort_upload(self, container, key, handle):
        segc, prefix = self.segments(container, key, handle)
        for n in self.stored_parts(container, key, handle):
            self.call("DELETE segment", "delete_object", segc, f"{prefix}{n:08d}")

    def delete(self, container, key):
        """Deletes an object, with its segments if it is an SLO."""
        info = self.head(container, key)
        if info is None:
            raise StoreError(f"swift: {container}/{key}: no such object", 404)
        self.call(f"DELETE {container}/{key}", "delete_object", container, key,
                  query_string="multipart-manifest=delete" if info.large else None)

    def share_url(self, container, key, seconds):
        from swiftclient.utils import generate_temp_url
        headers = self.call("HEAD account", "head_account")
        temp_key = headers.get("x-account-meta-temp-url-key")
        if not temp_key:
            temp_key = secrets.token_urlsafe(24)
            self.call("POST account", "post_account",
                      headers={"X-Account-Meta-Temp-URL-Key": temp_key})
        url = urlsplit(self.conn.url)
        path = f"{url.path}/{container}/{quote(key)}"
        return f"{url.scheme}://{url.netloc}" + generate_temp_url(path, seconds, temp_key,
                                                                   "GET")

    def filesystem(self):
        """``swift://`` as fsspec finds it (funicular's "fsspec.specs" entry point), over
        this store's account; looked up by name, so this module never imports swiftfs."""
        import fsspec
        if "swift" not in fsspec.available_protocols():  # a checkout without its metadata
            fsspec.register_implementation("swift", FILESYSTEM)
        return fsspec.get_filesystem_class("swift")(store=self, skip_instance_cache=True)

