"""A user's credentials for the object store, and how they travel.

The spawner puts them into the server's 0600 env file (``FUNICULAR_STORE_*``), the
server hands them to transfers and, for stage-in/out, to a 0600 file in the job's own
directory. They are never in argv, logs or ``repr``.
"""

from dataclasses import dataclass, field, fields

from ..errors import SpecError

PREFIX = "FUNICULAR_STORE_"


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

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "StoreCredentials":
        return cls(**{f.name: env[PREFIX + f.name.upper()] for f in fields(cls)
                      if env.get(PREFIX + f.name.upper())})

    @classmethod
    def from_dict(cls, data: dict) -> "StoreCredentials":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown store credential fields: {', '.join(sorted(unknown))}")
        return cls(**{k: str(v) for k, v in data.items() if v})
