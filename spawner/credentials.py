"""Each user's object-store credentials, handed to their notebook server.

From the admin's config: the store's endpoints plus either a keys file (one
``user<TAB>key`` line per hub user, readable by the hub's account alone) or a hook
that asks the site's secret store. They reach the server in its 0600 env file and
nowhere else: not argv, not the batch script, not the hub's log.
"""

import os
import stat

from funicular.core.storage import StoreCredentials


class StorageConfigError(RuntimeError):
    pass


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


def store_credentials(spawner, user: str | None = None) -> StoreCredentials | None:
    """The spawner's user's credentials, or another hub user's (a workshop's material
    owner); None if the site configured no store for them."""
    if spawner.storage_credentials:
        got = (spawner.storage_credentials(spawner) if user is None
               else spawner.storage_credentials(spawner, user=user))
        return StoreCredentials.from_dict(got) if got else None
    user = user or spawner.user.name
    if not spawner.storage_keys_file:
        return None
    key = read_keys(spawner.storage_keys_file, user)
    if key is None:
        return None
    ident = spawner.storage_identity.format(user=user)
    return StoreCredentials(
        swift_auth_url=spawner.storage_swift_auth_url or None,
        swift_user=ident if spawner.storage_swift_auth_url else None,
        swift_key=key if spawner.storage_swift_auth_url else None,
        s3_endpoint=spawner.storage_s3_endpoint or None,
        s3_access_key=ident if spawner.storage_s3_endpoint else None,
        s3_secret_key=key if spawner.storage_s3_endpoint else None,
        s3_region=spawner.storage_s3_region)
