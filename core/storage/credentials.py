"""A user's credentials for the object store, and how they travel.

The spawner puts them into the server's 0600 env file (``FUNICULAR_STORE_*``), the
server hands them to transfers and, for stage-in/out, to a 0600 file in the job's own
directory. They are never in argv, logs or ``repr``.
"""

import os
from dataclasses import dataclass, field, fields, replace

from ..errors import SpecError
from ..hubapi import STORE_PREFIX

PREFIX = STORE_PREFIX  # the hub-server agreement's name
# the swift command line client's own variables (auth v1.0, which SwiftStore speaks)
SWIFT_CLI_ENV = {"swift_auth_url": "ST_AUTH", "swift_user": "ST_USER", "swift_key": "ST_KEY"}


@dataclass(frozen=True)
class StoreCredentials:
    swift_auth_url: str | None = None  # auth v1.0 (tempauth) or a Keystone-issued URL
    swift_user: str | None = None  # "account:user"
    swift_key: str | None = field(default=None, repr=False)
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = field(default=None, repr=False)
    s3_region: str = "us-east-1"

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
        botocore >= 1.31 reads ``AWS_ENDPOINT_URL``), and the ``swift`` client
        (``ST_*``, auth v1.0)."""
        out = {}
        if self.has("s3"):
            out.update(AWS_ACCESS_KEY_ID=self.s3_access_key,
                       AWS_SECRET_ACCESS_KEY=self.s3_secret_key,
                       AWS_ENDPOINT_URL=self.s3_endpoint, AWS_DEFAULT_REGION=self.s3_region)
        if self.has("swift"):
            out.update({v: getattr(self, f) for f, v in SWIFT_CLI_ENV.items()})
        return out

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "StoreCredentials":
        return cls(**{f.name: env[PREFIX + f.name.upper()] for f in fields(cls)
                      if env.get(PREFIX + f.name.upper())})

    @classmethod
    def from_environment(cls, env: dict[str, str] | None = None) -> "StoreCredentials":
        """What this process was given: FUNICULAR_STORE_* (a notebook server, a job, a
        terminal in either), else for Swift the ``swift`` client's ST_AUTH/ST_USER/ST_KEY,
        so ``fsspec.open("swift://...")`` works wherever one of them is set."""
        env = os.environ if env is None else env
        creds = cls.from_env(env)
        if not creds.has("swift") and all(env.get(v) for v in SWIFT_CLI_ENV.values()):
            creds = replace(creds, **{f: env[v] for f, v in SWIFT_CLI_ENV.items()})
        return creds

    @classmethod
    def from_dict(cls, data: dict) -> "StoreCredentials":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown store credential fields: {', '.join(sorted(unknown))}")
        return cls(**{k: str(v) for k, v in data.items() if v})
