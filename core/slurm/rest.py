"""The Slurm backend on slurmrestd; ``SlurmBackend``'s contract is in ``backend``.

slurmrestd's API changes with each Slurm release, and a release serves only a few
versions of it (22.05: v0.0.36 to v0.0.38; 24.11: v0.0.40 to v0.0.42). At its first
call the backend reads which ones the server lists in its OpenAPI description (``GET
/openapi/v3``, within ``timeout``) and from then on speaks the newest it knows
(``versions.choose``), with that version's request and response shapes (``shapes``):
a server it cannot speak with is a SlurmError that names what it serves. The hub can
ask at start with ``backend.check_rest``.

Every request carries a JWT for the user it acts for, in HTTP headers: tokens never
appear in argv, files or logs. ``JWTSigner`` mints short-lived per-user tokens with
the cluster's HS256 key, so Slurm applies the user's own permissions, as with
``sbatch`` run as the user; ``TokenFile`` uses one token of a Slurm operator
(SlurmUser) and names the user in ``X-SLURM-USER-NAME``.

Request bodies and response parsing are pure functions (``shapes38``, ``shapes40``,
``restscript``, and ``jobjson`` for job records), unit-tested on recorded responses
and on the shapes of slurmrestd's own OpenAPI descriptions.
"""

import asyncio
import base64
import hashlib
import hmac
import inspect
import json
import pathlib
import pwd
import time
from collections.abc import Iterable
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

from .. import proc
from ..batchjob import BatchJob
from ..errors import SlurmError
from ..identity import Policy
from . import jobjson, shapes
from .argv import job_id_arg
from .cluster import Association, Node, Partition, Reservation
from .jobinfo import JobInfo, QueuedJob
from .jobjson import describe_job, queued, select
from .owners import cancel_policy
from .restscript import ARGV_PRELUDE, EXEC_ARGS, batch_script
from .versions import KNOWN, Api, choose

__all__ = ["ARGV_PRELUDE", "EXEC_ARGS", "JWTSigner", "SlurmREST", "TokenFile", "batch_script",
           "sign_jwt", "submit_body"]

OPENAPI = "/openapi/v3"  # where 22.05 and 24.11 alike describe what they serve


class JWTSigner:
    """Short-lived HS256 tokens for any user, signed with slurmctld's ``jwt_key``.

    Whoever holds the key can act as any Slurm user: keep it readable by the hub
    only (mode 0600)."""

    def __init__(self, key_file: str, lifespan: int = 600):
        self.key_file = key_file
        self.lifespan = lifespan
        self._cache: dict[str, tuple[str, float]] = {}

    def headers(self, user: str) -> dict[str, str]:
        token, exp = self._cache.get(user, ("", 0.0))
        now = time.time()
        if exp - now < self.lifespan / 3:
            key = pathlib.Path(self.key_file).read_bytes()
            token = sign_jwt(key, user, int(now), self.lifespan)
            exp = now + self.lifespan
            self._cache[user] = (token, exp)
        return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}


class TokenFile:
    """One operator token (e.g. from ``scontrol token username=slurm``) read from a
    0600 file at each use, so that rotating it needs no hub restart."""

    def __init__(self, path: str):
        self.path = path

    def headers(self, user: str) -> dict[str, str]:
        token = pathlib.Path(self.path).read_text().strip()
        return {"X-SLURM-USER-NAME": user, "X-SLURM-USER-TOKEN": token}


def sign_jwt(key: bytes, user: str, now: int, lifespan: int) -> str:
    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    def part(obj) -> bytes:
        return b64(json.dumps(obj, separators=(",", ":")).encode())

    msg = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(
        {"iat": now, "exp": now + lifespan, "sun": user})
    return (msg + b"." + b64(hmac.new(key, msg, hashlib.sha256).digest())).decode()


def submit_body(job: BatchJob, env: dict[str, str], script: str = EXEC_ARGS,
                version: str = KNOWN[0]) -> dict:
    """The JSON for ``POST /slurm/VERSION/job/submit`` (by default the newest version
    Funicular speaks); every value comes from a validated ``BatchJob``, and ``script``
    is the batch script's text."""
    return shapes.for_version(version).submit_body(job, env, script)


# ------------------------------------------------------------------ the client
class SlurmREST:
    """Talks to slurmrestd over HTTP; each call acts as one Slurm user.

    ``version``: speak this version without asking the server (tests; a site that
    must pin one); by default the version is negotiated at the first call."""

    # slurmrestd's error numbers: no such job (any more); already completing or completed
    _NO_JOB, _ENDING = 2017, 2021

    def __init__(self, url: str, tokens, *, service_user: str = "root", timeout: float = 30,
                 identity: Policy | None = None, version: str | None = None):
        self.url = url.rstrip("/")
        self.tokens = tokens
        self.service_user = service_user  # whom read-only cluster queries act as
        # whom the hub may act for (submit, cancel); None in a notebook, whose
        # tokens are its user's own anyway
        self.identity = identity
        self.timeout = timeout
        if version is not None:
            shapes.for_version(version)  # a version Funicular speaks, or SlurmError
        self._api: Api | None = Api(self.url, version, version) if version else None
        self._negotiating: asyncio.Lock | None = None

    # ------------------------------------------------------------ the version
    async def api(self) -> Api:
        """The versions this server is spoken to in: asked once (``GET /openapi/v3``
        within ``timeout``, as the service user) and kept; a failure is a SlurmError
        and is asked again at the next call, as slurmrestd may start after the hub."""
        if self._api is None:
            if self._negotiating is None:
                self._negotiating = asyncio.Lock()
            async with self._negotiating:  # concurrent first calls share one question
                if self._api is None:
                    self._api = await self._negotiate()
        return self._api

    async def _negotiate(self) -> Api:
        resp = await self._fetch("GET", OPENAPI, await self._headers(None, None))
        if resp.code == 404:
            raise SlurmError(f"slurmrestd at {self.url} has no {OPENAPI} (HTTP 404): "
                             "cannot tell which API versions it serves")
        if resp.code != 200:
            raise SlurmError(f"slurmrestd at {self.url}: GET {OPENAPI}: HTTP {resp.code} "
                             f"{resp.reason or ''}".rstrip())
        try:  # 24.11's is 2 MB: off the event loop
            spec = await asyncio.to_thread(json.loads, resp.body or b"")
        except ValueError:
            spec = None
        return choose(spec, self.url)

    # ------------------------------------------------------------ requests
    async def _headers(self, user: str | None, policy: Policy | None) -> dict[str, str]:
        """The headers of a request as ``user`` (checked against ``policy``) or the
        service user."""
        if user is not None and policy is not None:
            policy.check(user)  # never a token of a system account
        try:
            auth = self.tokens.headers(user or self.service_user)
            if inspect.isawaitable(auth):  # fetched on demand (a notebook's, from the hub)
                auth = await auth
        except OSError as e:  # the key or token file
            raise SlurmError(f"no slurmrestd token: {e}") from None
        return {"Content-Type": "application/json", **auth}

    async def _fetch(self, method: str, path: str, headers: dict[str, str],
                     body: dict | None = None) -> HTTPResponse:
        req = HTTPRequest(self.url + path, method=method, headers=headers,
                          body=json.dumps(body) if body is not None else None,
                          request_timeout=self.timeout, connect_timeout=self.timeout)
        try:
            return await AsyncHTTPClient().fetch(req, raise_error=False)
        except HTTPClientError as e:
            if e.code == 599:  # tornado's own: no answer in time
                raise SlurmError(f"slurmrestd at {self.url} did not answer {method} {path} "
                                 f"within {self.timeout:g} s") from None
            raise SlurmError(f"slurmrestd at {self.url} unreachable: {e}") from None
        except (OSError, TimeoutError) as e:  # refused, unknown host
            raise SlurmError(f"slurmrestd at {self.url} unreachable: {e}") from None

    async def _dialect(self, db: bool = False) -> tuple[str, shapes.Shapes]:
        """The path prefix of the Slurm (or slurmdbd) API and its shapes."""
        api = await self.api()
        version = api.slurmdb if db else api.slurm
        if version is None:
            raise SlurmError(f"slurmrestd at {self.url} serves no /slurmdb/ API version "
                             "Funicular speaks (is its slurmdbd plugin loaded?)")
        return f"/{'slurmdb' if db else 'slurm'}/{version}", shapes.for_version(version)

    async def _call(self, method: str, path: str, *, user: str | None = None,
                    policy: Policy | None = None, body: dict | None = None,
                    ok_errors: tuple[int, ...] = ()) -> dict:
        """One request as ``user`` (checked against ``policy``, by default the
        backend's identity) or the service user; Slurm's errors but ``ok_errors``
        raise SlurmError."""
        resp = await self._fetch(method, path,
                                 await self._headers(user, policy or self.identity), body)
        try:
            data = json.loads(resp.body or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        errors = [e for e in data.get("errors") or [] if isinstance(e, dict)
                  and e.get("error_number", e.get("error_code")) not in ok_errors]
        if resp.code >= 400 and errors or (resp.code >= 400 and not data):
            words = "; ".join(str(e.get("error") or e.get("description")) for e in errors)
            raise SlurmError(f"slurmrestd {method} {path}: HTTP {resp.code} "
                             f"{words or (resp.error and str(resp.error)) or ''}".rstrip())
        return data

    # ------------------------------------------------------------ acting as a user
    async def submit(self, job: BatchJob, *, user: str, script: str,
                     home: str | None = None) -> str:
        """``script``'s text goes in the request, as sbatch sends it; the arguments
        travel in the job's environment (``restscript``)."""
        if self.identity is not None:
            self.identity.check(user)  # before anything is asked of slurmrestd
        try:
            text = pathlib.Path(script).read_text()
        except (OSError, UnicodeDecodeError) as e:
            raise SlurmError(f"cannot read the batch script {script}: {e}") from None
        # what sbatch run as the user would export: ch-run needs $USER and $HOME
        env = proc.which_env({"USER": user, "LOGNAME": user})
        if home:
            env["HOME"] = home
        else:
            try:
                env["HOME"] = pwd.getpwnam(user).pw_dir
            except KeyError:
                pass
        prefix, dialect = await self._dialect()
        data = await self._call("POST", f"{prefix}/job/submit", user=user,
                                body=dialect.submit_body(job, env, text))
        job_id = data.get("job_id")
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            raise SlurmError(f"slurmrestd returned no job id: {data.get('errors')}")
        return str(job_id)

    async def cancel(self, job_id: str, *, user: str, signal: str | None = None) -> None:
        tail = f"/job/{job_id_arg(job_id)}"
        if signal:
            if not signal.isalnum():
                raise ValueError(f"bad signal name {signal!r}")
            tail += f"?signal={quote(signal)}"
        policy = cancel_policy(self.identity) if self.identity is not None else None
        if policy is not None:
            policy.check(user)  # before anything is asked of slurmrestd
        prefix, dialect = await self._dialect()
        ok = (self._NO_JOB, self._ENDING)
        data = await self._call("DELETE", prefix + tail, user=user, policy=policy,
                                ok_errors=ok)
        failed = dialect.cancel_failures(data, ok)
        if failed:
            raise SlurmError(f"slurmrestd DELETE {prefix}{tail}: {'; '.join(failed)}")

    # ------------------------------------------------------------ jobs
    async def query(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """One request for all jobs (``GET /jobs``), filtered to the ones asked for."""
        ids = {str(j) for j in job_ids}
        for j in ids:
            job_id_arg(j.split("_")[0])
        if not ids:
            return {}
        return select(await self._jobs(), ids)

    async def _record(self, job_id: str) -> dict | None:
        """slurmctld's record of one job; None when it does not know it."""
        job_id = job_id_arg(job_id)
        prefix, _ = await self._dialect()
        data = await self._call("GET", f"{prefix}/job/{job_id}", ok_errors=(self._NO_JOB,))
        return jobjson.record((j for j in data.get("jobs") or [] if isinstance(j, dict)),
                              job_id)

    async def describe(self, job_id: str) -> dict[str, str]:
        try:
            j = await self._record(job_id)
        except SlurmError:
            return {}
        return describe_job(j) if j else {}

    async def _accounted(self, job_id: str) -> tuple[list[dict], shapes.Shapes]:
        """slurmdbd's records of one job (and its array's tasks)."""
        job_id = job_id_arg(job_id)
        prefix, dialect = await self._dialect(db=True)
        data = await self._call("GET", f"{prefix}/job/{job_id}")
        return [j for j in data.get("jobs") or [] if isinstance(j, dict)], dialect

    async def accounting(self, job_id: str) -> list[dict[str, str]]:
        try:
            jobs, dialect = await self._accounted(job_id)
        except SlurmError:
            return []
        records = [dialect.accounting_record(j) for j in jobs]
        for r in records:
            if not r["ExitCode"] and r["State"] == "FAILED":
                r["ExitCode"] = await self._controller_exit_code(r["JobID"])
        return records

    async def _controller_exit_code(self, job_id: str) -> str:
        """A FAILED job's exit code from slurmctld, which keeps an ended job for
        MinJobAge: where slurmdbd's answer cannot be trusted (22.05's, shapes38)."""
        if not job_id.isdigit():  # an array task ("44_1"): slurmctld keys it otherwise
            return ""
        try:
            j = await self._record(job_id)
        except SlurmError:
            return ""
        code = j.get("exit_code") if j else None
        return jobjson.exit_code(code) if code not in (None, "") else ""

    async def cancelled_by(self, job_id: str) -> int | None:
        try:
            jobs, _ = await self._accounted(job_id)
        except SlurmError:
            return None
        for j in jobs:
            who = j.get("kill_request_user")
            if who and isinstance(who, str):
                try:
                    return pwd.getpwnam(who).pw_uid
                except KeyError:
                    return None
        return None

    async def _jobs(self) -> list[dict]:
        """Every job slurmctld remembers, as the service user (one request)."""
        prefix, _ = await self._dialect()
        data = await self._call("GET", f"{prefix}/jobs")
        return [j for j in data.get("jobs") or [] if isinstance(j, dict)]

    async def active_jobs(self) -> list[QueuedJob]:
        return queued(await self._jobs())

    async def jobs_of(self, users: Iterable[str]) -> list[QueuedJob]:
        users = set(users)
        return jobjson.held(await self._jobs(), users) if users else []

    async def job(self, job_id: str) -> QueuedJob | None:
        j = await self._record(job_id)
        return jobjson.queued_job(j) if j else None

    # ------------------------------------------------------------ the cluster view
    async def partitions(self) -> list[Partition]:
        prefix, dialect = await self._dialect()
        data = await self._call("GET", f"{prefix}/partitions{dialect.partitions_query}")
        return [dialect.partition(p) for p in data.get("partitions") or []
                if isinstance(p, dict)]

    async def nodes(self) -> list[Node]:
        prefix, dialect = await self._dialect()
        data = await self._call("GET", f"{prefix}/nodes")
        return [dialect.node(n) for n in data.get("nodes") or [] if isinstance(n, dict)]

    async def reservations(self) -> list[Reservation]:
        prefix, dialect = await self._dialect()
        data = await self._call("GET", f"{prefix}/reservations")
        now = time.time()
        return [dialect.reservation(r, now) for r in data.get("reservations") or []
                if isinstance(r, dict)]

    async def associations(self) -> list[Association]:
        prefix, dialect = await self._dialect(db=True)
        data = await self._call("GET", f"{prefix}/associations")
        found = (dialect.association(a) for a in data.get("associations") or []
                 if isinstance(a, dict))
        return [a for a in found if a is not None]

