"""A user's credentials for the object store, and how they travel.

The spawner puts them into the server's 0600 env file (``FUNICULAR_STORE_*``), the
server hands them to transfers and, for stage-in/out, to a 0600 file in the job's own
directory. They are never in argv, logs or ``repr``.

Swift logs in one of two ways. Auth v1.0 (tempauth, swauth, a site's own v1 service):
``swift_auth_url`` ends in ``/auth/v1.0``, ``swift_user`` is ``account:user``. Keystone
v3 (what centres such as Fenix and CSCS run): ``swift_auth_url`` is Keystone's
(``https://keystone.example.org:5000/v3``), ``swift_user``/``swift_key`` the user's name
and password, with the user's domain and the project (name or id) to scope the token to;
or an application credential (``swift_auth_type = "v3applicationcredential"``, its id
and secret in ``swift_user``/``swift_key``), which carries its own scope. Where a site
hands out S3 keys as Keystone EC2 credentials (``openstack ec2 credentials create``),
``s3_access_key``/``s3_secret_key`` are that pair: Swift's s3api with s3token checks
them with Keystone, nothing else changes.
"""

import os
from dataclasses import dataclass, field, fields, replace
from urllib.parse import urlsplit

from ..errors import SpecError
from ..hubapi import STORE_PREFIX

PREFIX = STORE_PREFIX  # the hub-server agreement's name
# the swift command line client's own variables for auth v1.0
SWIFT_CLI_ENV = {"swift_auth_url": "ST_AUTH", "swift_user": "ST_USER", "swift_key": "ST_KEY"}
# OpenStack's (an openrc file's) for Keystone v3: the swift and openstack command lines,
# openstacksdk, rclone... read them
OS_ENV = {"swift_auth_url": "OS_AUTH_URL", "swift_user_domain_name": "OS_USER_DOMAIN_NAME",
          "swift_project_name": "OS_PROJECT_NAME", "swift_project_id": "OS_PROJECT_ID",
          "swift_project_domain_name": "OS_PROJECT_DOMAIN_NAME",
          "swift_region_name": "OS_REGION_NAME"}
OS_PASSWORD_ENV = {"swift_user": "OS_USERNAME", "swift_key": "OS_PASSWORD"}
APP_CREDENTIAL = "v3applicationcredential"
OS_APP_CREDENTIAL_ENV = {"swift_user": "OS_APPLICATION_CREDENTIAL_ID",
                         "swift_key": "OS_APPLICATION_CREDENTIAL_SECRET"}
DEFAULT_DOMAIN = "Default"  # Keystone's own default domain, as an openrc names it
_VERSIONS = {"1": "1", "1.0": "1", "v1": "1", "v1.0": "1", "3": "3", "3.0": "3", "v3": "3"}


@dataclass(frozen=True)
class StoreCredentials:
    swift_auth_url: str | None = None  # auth v1.0 URL, or Keystone's (v3)
    swift_user: str | None = None  # v1.0: "account:user"; v3: the user's name (or app cred id)
    swift_key: str | None = field(default=None, repr=False)
    s3_endpoint: str | None = None
    s3_access_key: str | None = None  # or a Keystone EC2 credential's access key
    s3_secret_key: str | None = field(default=None, repr=False)
    s3_region: str = "us-east-1"
    # Keystone v3 (ignored for auth v1.0)
    swift_auth_version: str | None = None  # "1" or "3"; None: "3" for a URL ending in /v3
    swift_auth_type: str | None = None  # None/"password", or "v3applicationcredential"
    swift_user_domain_name: str | None = None  # None: "Default"
    swift_project_name: str | None = None
    swift_project_id: str | None = None  # instead of the name (then no domain is needed)
    swift_project_domain_name: str | None = None  # None: "Default"
    swift_region_name: str | None = None  # the catalog's region of Swift's endpoint

    def __post_init__(self):
        """Spellings of the version and the auth type that clients accept are taken;
        anything else is refused here, before a login fails with a vaguer message."""
        if self.swift_auth_version:
            version = _VERSIONS.get(str(self.swift_auth_version).strip().lower())
            if version is None:
                raise ValueError(f"swift_auth_version: {self.swift_auth_version!r}: 1 (auth "
                                 "v1.0) or 3 (Keystone v3)")
            object.__setattr__(self, "swift_auth_version", version)
        if self.swift_auth_type not in (None, "", "password", "v3password", APP_CREDENTIAL):
            raise ValueError(f"swift_auth_type: {self.swift_auth_type!r}: password or "
                             f"{APP_CREDENTIAL}")

    @property
    def swift_keystone(self) -> bool:
        """Whether Swift's login is Keystone v3: said so, or Keystone's URL (…/v3)."""
        if self.swift_auth_version:
            return self.swift_auth_version == "3"
        path = urlsplit(self.swift_auth_url or "").path.rstrip("/")
        return path.endswith("/v3")

    @property
    def swift_app_credential(self) -> bool:
        return self.swift_keystone and self.swift_auth_type == APP_CREDENTIAL

    def has(self, scheme: str) -> bool:
        if scheme == "swift":
            return bool(self.swift_auth_url and self.swift_user and self.swift_key)
        if scheme == "s3":
            return bool(self.s3_endpoint and self.s3_access_key and self.s3_secret_key)
        return scheme == "file"

    def require(self, scheme: str) -> None:
        if not self.has(scheme):
            raise SpecError("location", f"no {scheme} credentials were handed to this "
                            "server (ask your admin to configure the object store)")

    def to_env(self) -> dict[str, str]:
        return {PREFIX + f.name.upper(): getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name)}

    def standard_env(self) -> dict[str, str]:
        """The same credentials under the names common tools read with no code: the
        AWS SDKs and CLI, s3fs, pandas and xarray (``AWS_*``, the endpoint included:
        botocore >= 1.31 reads ``AWS_ENDPOINT_URL``), and for Swift the ``swift``
        client's ``ST_*`` (auth v1.0) or, for Keystone v3, OpenStack's ``OS_*`` (what an
        openrc file sets: the swift and openstack command lines read them)."""
        out = {}
        if self.has("s3"):
            out.update(AWS_ACCESS_KEY_ID=self.s3_access_key,
                       AWS_SECRET_ACCESS_KEY=self.s3_secret_key,
                       AWS_ENDPOINT_URL=self.s3_endpoint, AWS_DEFAULT_REGION=self.s3_region)
        if self.has("swift") and not self.swift_keystone:
            out.update({v: getattr(self, f) for f, v in SWIFT_CLI_ENV.items()})
        elif self.has("swift"):
            out.update(OS_AUTH_URL=self.swift_auth_url, OS_AUTH_VERSION="3",
                       OS_IDENTITY_API_VERSION="3")
            scope = self.keystone_scope()
            if self.swift_app_credential:
                out["OS_AUTH_TYPE"] = APP_CREDENTIAL
                out.update({v: getattr(self, f) for f, v in OS_APP_CREDENTIAL_ENV.items()})
            else:
                out.update({v: getattr(self, f) for f, v in OS_PASSWORD_ENV.items()})
            out.update({v: scope[f] for f, v in OS_ENV.items() if scope.get(f)})
        return out

    def keystone_scope(self) -> dict[str, str]:
        """The v3 login's domains, project and region as they are sent: the Default
        domain where a name needs one and none was given; an application credential
        carries its own scope, so it gets only the region."""
        region = {"swift_region_name": self.swift_region_name or ""}
        if self.swift_app_credential:
            return region
        project = {"swift_project_name": self.swift_project_name or "",
                   "swift_project_id": self.swift_project_id or ""}
        if self.swift_project_name and not self.swift_project_id:
            project["swift_project_domain_name"] = (self.swift_project_domain_name
                                                    or DEFAULT_DOMAIN)
        return {"swift_user_domain_name": self.swift_user_domain_name or DEFAULT_DOMAIN,
                **project, **region}

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "StoreCredentials":
        return cls(**{f.name: env[PREFIX + f.name.upper()] for f in fields(cls)
                      if env.get(PREFIX + f.name.upper())})

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> "StoreCredentials":
        """What this process was given: FUNICULAR_STORE_* (a notebook server, a job, a
        terminal in either), else for Swift the ``swift`` client's ST_AUTH/ST_USER/ST_KEY
        (auth v1.0), else OpenStack's OS_* (Keystone v3: a sourced openrc file), so
        ``fsspec.open("swift://...")`` works wherever one of them is set."""
        env = os.environ if env is None else env
        creds = cls.from_env(env)
        if creds.has("swift"):
            return creds
        if all(env.get(v) for v in SWIFT_CLI_ENV.values()):
            return replace(creds, **{f: env[v] for f, v in SWIFT_CLI_ENV.items()})
        app = env.get("OS_AUTH_TYPE", "").lower() in (APP_CREDENTIAL, "applicationcredential")
        login = OS_APP_CREDENTIAL_ENV if app else OS_PASSWORD_ENV
        if env.get("OS_AUTH_URL") and all(env.get(v) for v in login.values()):
            version = env.get("OS_AUTH_VERSION") or env.get("OS_IDENTITY_API_VERSION") or "3"
            given = {f: env[v] for f, v in {**OS_ENV, **login}.items() if env.get(v)}
            return replace(creds, swift_auth_version=version,
                           swift_auth_type=APP_CREDENTIAL if app else None, **given)
        return creds

    @classmethod
    def from_dict(cls, data: dict) -> "StoreCredentials":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown store credential fields: {', '.join(sorted(unknown))}")
        return cls(**{k: str(v) for k, v in data.items() if v})
