"""Each user's object-store credentials, handed to their notebook server; and
``private_bytes``, a secret file of the hub's read only if no one else may read it.

From the admin's config: the store's endpoints plus either a keys file (one
``user<TAB>key`` line per hub user, readable by the hub's account alone) or a hook
that asks the site's secret store. They reach the server in its 0600 env file and
nowhere else: not argv, not the batch script, not the hub's log. (A user's UNICORE
credential is not handed over in the env file: it is short-lived, so the server asks
the hub for a fresh one, see unicorecreds.py.)
"""

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from funicular.core.storage import StoreCredentials


class StorageConfigError(RuntimeError):
    pass


def private_bytes(path: str, error: type[Exception]) -> bytes:
    """A secret file's content; ``error`` if others than its owner may read it (checked
    on the open file, so the file read is the file checked)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise error(f"{path} is readable by others than its owner: refused "
                        "(chmod 600 it)")
        if st.st_uid not in (os.geteuid(), 0):  # its owner could swap what the hub signs with
            raise error(f"{path} belongs to uid {st.st_uid}, not to the hub's account: "
                        "refused")
        return f.read()


def read_keys(path: str, user: str) -> str | None:
    st = os.stat(path)
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StorageConfigError(f"{path} is readable by others than its owner: refused "
                                 "(chmod 600 it)")
    with open(path, encoding="utf-8") as f:
        for line in f:
            name, sep, key = line.rstrip("\n").partition("\t")
            if sep and name == user and key:
                return key
    return None


@dataclass(frozen=True)
class StoreSettings:
    """The spawner's storage_* traits."""

    keys_file: str = ""
    identity: str = "{user}:{user}"
    swift_auth_url: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    # Swift behind Keystone v3 (auth version "3", or "" with a URL ending in /v3)
    swift_auth_version: str = ""
    swift_user_domain: str = "Default"
    swift_project: str = "{user}"
    swift_project_domain: str = "Default"
    swift_region: str = ""


def store_credentials(settings: StoreSettings, user: str,
                      ask: Callable[[], dict | None] | None = None) -> StoreCredentials | None:
    """A hub user's credentials; None if the site configured no store for them.
    ``ask``: the admin's storage_credentials hook, already bound to the user."""
    if ask is not None:
        got = ask()
        return StoreCredentials.from_dict(got) if got else None
    if not settings.keys_file:
        return None
    key = read_keys(settings.keys_file, user)
    if key is None:
        return None
    ident = settings.identity.format(user=user)
    swift, s3 = settings.swift_auth_url, settings.s3_endpoint
    keystone = {}
    if swift and (settings.swift_auth_version == "3" or (
            not settings.swift_auth_version and swift.rstrip("/").endswith("/v3"))):
        # the Keystone user is the identity; the project is the user's own by default
        keystone = dict(
            swift_auth_version="3", swift_user_domain_name=settings.swift_user_domain,
            swift_project_name=settings.swift_project.format(user=user),
            swift_project_domain_name=settings.swift_project_domain,
            swift_region_name=settings.swift_region or None)
    elif swift and settings.swift_auth_version:
        keystone = dict(swift_auth_version=settings.swift_auth_version)
    return StoreCredentials(
        swift_auth_url=swift or None, swift_user=ident if swift else None,
        swift_key=key if swift else None, s3_endpoint=s3 or None,
        s3_access_key=ident if s3 else None, s3_secret_key=key if s3 else None,
        s3_region=settings.s3_region, **keystone)
