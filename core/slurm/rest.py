"""The Slurm backend on slurmrestd (OpenAPI v0.0.38, Slurm 22.05); ``SlurmBackend``'s
contract is in ``backend``.

Every request carries a JWT for the user it acts for, in HTTP headers: tokens never
appear in argv, files or logs. ``JWTSigner`` mints short-lived per-user tokens with
the cluster's HS256 key, so Slurm applies the user's own permissions, as with
``sbatch`` run as the user; ``TokenFile`` uses one token of a Slurm operator
(SlurmUser) and names the user in ``X-SLURM-USER-NAME``.

Request bodies and response parsing are pure functions (``submit_body``,
``batch_script``, and ``jobjson`` for job records), unit-tested on recorded responses.
"""

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

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .. import proc
from ..batchjob import BatchJob
from ..errors import SlurmError
from ..identity import Policy
from . import jobjson
from .argv import job_id_arg
from .cluster import (
    Association,
    Node,
    Partition,
    Reservation,
    expand_hostlist,
    name_list,
    tres_gpus,
)
from .jobinfo import JobInfo, QueuedJob
from .jobjson import NO_VALUE as _NO_VALUE
from .jobjson import describe_job, queued, select
from .jobjson import iso as _iso
from .owners import cancel_policy

API = "v0.0.38"


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


# ------------------------------------------------------------------ pure functions
# slurmrestd 22.05.8 corrupts its heap on a submission with ``argv`` (double free,
# segfault: found on the box), so the command travels in the job's environment,
# FUNICULAR_ARG_0..N, and these lines at the top of the batch script rebuild "$@" from
# it: the script then runs as ``sbatch SCRIPT ARGS...`` would run it. ``eval`` only
# ever sees the literal text `set -- "$@" "${FUNICULAR_ARG_<i>}"`; no value is parsed.
ARGV_PRELUDE = """\
i=0
set --
while [ "$i" -lt "${FUNICULAR_ARGC:-0}" ]; do
  eval "set -- \\"\\$@\\" \\"\\${FUNICULAR_ARG_$i}\\""
  unset "FUNICULAR_ARG_$i"
  i=$((i + 1))
done
unset FUNICULAR_ARGC i
"""
EXEC_ARGS = '#!/bin/sh\nexec "$@"\n'  # a batch script that only runs its arguments


def batch_script(script: str, warn_signal: str | None) -> str:
    """``script`` (a batch script's text) with the walltime warning as an #SBATCH line
    (from a validated ``BatchJob.warn_signal``) and ``ARGV_PRELUDE`` right after its
    ``#!`` line (``/bin/sh`` where it has none)."""
    first, _, rest = script.partition("\n")
    head, body = (first + "\n", rest) if first.startswith("#!") else ("#!/bin/sh\n", script)
    extra = f"#SBATCH --signal=B:{warn_signal}\n" if warn_signal else ""
    return head + extra + ARGV_PRELUDE + body


def submit_body(job: BatchJob, env: dict[str, str], script: str = EXEC_ARGS) -> dict:
    """The JSON for ``POST /slurm/v0.0.38/job/submit``; every value comes from a
    validated ``BatchJob``, and ``script`` is the fixed batch script's text."""
    if job.extra:
        raise SlurmError("extra_sbatch_args cannot be used with the slurmrestd backend")
    r = job.resources
    env = {**env, "FUNICULAR_ARGC": str(len(job.command)),
           **{f"FUNICULAR_ARG_{i}": arg for i, arg in enumerate(job.command)}}
    # "nodes" is a count as a string: v0.0.38 silently ignores a [min, max] pair and
    # gives one node (found when an MPI job for two nodes ran on one)
    desc: dict = {
        "name": job.name, "partition": r.partition, "nodes": str(r.nodes),
        "tasks_per_node": job.tasks_per_node, "cpus_per_task": r.cpus, "time_limit": r.minutes,
        "current_working_directory": job.workdir, "standard_output": job.output,
        "requeue": job.requeue, "environment": env,
    }
    if r.memory_mb is not None:
        desc["memory_per_node"] = r.memory_mb
    if r.gpus:
        desc["gres"] = f"gpu:{r.gpus}"
    for key in ("account", "reservation", "qos"):
        if getattr(r, key):
            desc[key] = getattr(r, key)
    if job.comment:
        desc["comment"] = job.comment
    if job.array:
        desc["array"] = job.array
    if job.after_ok:
        desc["dependency"] = f"afterok:{':'.join(job.after_ok)}"
    return {"job": desc, "script": batch_script(script, job.warn_signal)}


def _opt(value) -> str | None:
    return None if value in (None, "", "None", "(null)") else str(value)


def accounting_record(j: dict) -> dict[str, str]:
    """A slurmdbd job (``/slurmdb/.../job/ID``) as the sacct fields ``accounting`` gives."""
    task = (j.get("array") or {}).get("task_id")
    parent = (j.get("array") or {}).get("job_id")
    job_id = f"{parent}_{task}" if parent and isinstance(task, int) and task < _NO_VALUE \
        else str(j.get("job_id"))
    code = j.get("exit_code") or {}
    rc, sig = code.get("return_code"), (code.get("signal") or {}).get("signal_id")
    t = j.get("time") or {}
    return {"JobID": job_id, "State": str((j.get("state") or {}).get("current") or "UNKNOWN"),
            # sacct's RC:SIGNAL; a job ended by a signal has no return code
            "ExitCode": f"{rc or 0}:{sig or 0}" if isinstance(rc, int) or sig else "",
            "Start": _iso(t.get("start")) or "", "End": _iso(t.get("end")) or "",
            "NodeList": str(j.get("nodes") or "")}


def _minutes(value) -> int | None:
    return value if isinstance(value, int) and 0 <= value < _NO_VALUE else None


def partition(p: dict) -> Partition:
    flags = {str(f).lower() for f in p.get("flags") or []}

    def allow(key):
        v = p.get(key) or "ALL"
        return None if v == "ALL" else name_list(v)
    max_nodes = p.get("maximum_nodes_per_job")
    return Partition(name=p.get("name", ""), up=str(p.get("state", "")).upper() == "UP",
                     default="default" in flags, hidden="hidden" in flags,
                     max_minutes=_minutes(p.get("max_time_limit")),
                     default_minutes=_minutes(p.get("default_time_limit")),
                     max_nodes=max_nodes if isinstance(max_nodes, int) and 0 < max_nodes
                     < _NO_VALUE else None,
                     allow_accounts=allow("allowed_accounts"),
                     deny_accounts=name_list(p.get("denied_accounts")),
                     allow_groups=allow("allowed_groups"))


def node(n: dict) -> Node:
    flags = [str(f).upper() for f in n.get("state_flags") or []]
    state = "+".join([str(n.get("state", "UNKNOWN")).upper(), *flags])
    return Node(name=n.get("name", ""), partitions=tuple(n.get("partitions") or ()),
                state=state, cpus=int(n.get("cpus") or 0),
                cpus_alloc=int(n.get("alloc_cpus") or 0),
                memory_mb=int(n.get("real_memory") or 0),
                memory_alloc_mb=int(n.get("alloc_memory") or 0),
                gpus=tres_gpus(n.get("tres")), gpus_alloc=tres_gpus(n.get("tres_used")))


def reservation(r: dict, now: float) -> Reservation:
    start, end = r.get("start_time") or 0, r.get("end_time") or 0
    return Reservation(name=r.get("name", ""), active=start <= now < end,
                       start=_iso(start) or "", end=_iso(end) or "",
                       nodes=tuple(expand_hostlist(r.get("node_list") or "")),
                       partition=_opt(r.get("partition")), users=name_list(r.get("users")),
                       accounts=name_list(r.get("accounts")))


# ------------------------------------------------------------------ the client
class SlurmREST:
    """Talks to slurmrestd over HTTP; each call acts as one Slurm user."""

    # slurmrestd's error numbers: no such job (any more); already completing or completed
    _NO_JOB, _ENDING = 2017, 2021

    def __init__(self, url: str, tokens, *, service_user: str = "root", timeout: float = 30,
                 identity: Policy | None = None):
        self.url = url.rstrip("/")
        self.tokens = tokens
        self.service_user = service_user  # whom read-only cluster queries act as
        # whom the hub may act for (submit, cancel); None in a notebook, whose
        # tokens are its user's own anyway
        self.identity = identity
        self.timeout = timeout

    async def _call(self, method: str, path: str, *, user: str | None = None,
                    policy: Policy | None = None, body: dict | None = None,
                    ok_errors: tuple[int, ...] = ()) -> dict:
        """One request as ``user`` (checked against ``policy``, by default the
        backend's identity) or the service user; Slurm's errors but ``ok_errors``
        raise SlurmError."""
        policy = policy or self.identity
        if user is not None and policy is not None:
            policy.check(user)  # never a token of a system account
        try:
            auth = self.tokens.headers(user or self.service_user)
            if inspect.isawaitable(auth):  # fetched on demand (a notebook's, from the hub)
                auth = await auth
        except OSError as e:  # the key or token file
            raise SlurmError(f"no slurmrestd token: {e}") from None
        headers = {"Content-Type": "application/json", **auth}
        req = HTTPRequest(self.url + path, method=method, headers=headers,
                          body=json.dumps(body) if body is not None else None,
                          request_timeout=self.timeout, connect_timeout=self.timeout)
        try:
            resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        except (OSError, TimeoutError, HTTPClientError) as e:  # refused, or no answer in time
            raise SlurmError(f"slurmrestd unreachable: {e}") from None
        try:
            data = json.loads(resp.body or b"{}")
        except ValueError:
            data = {}
        errors = [e for e in data.get("errors") or []
                  if e.get("error_number", e.get("error_code")) not in ok_errors]
        if resp.code == 599 or resp.code >= 400 and errors or (resp.code >= 400 and not data):
            words = "; ".join(str(e.get("error") or e.get("description")) for e in errors)
            raise SlurmError(f"slurmrestd {method} {path}: HTTP {resp.code} "
                             f"{words or (resp.error and str(resp.error)) or ''}".rstrip())
        return data

    async def submit(self, job: BatchJob, *, user: str, script: str,
                     home: str | None = None) -> str:
        """``script``'s text goes in the request, as sbatch sends it; the arguments
        travel in the job's environment (``ARGV_PRELUDE``)."""
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
        body = submit_body(job, env, text)
        data = await self._call("POST", f"/slurm/{API}/job/submit", user=user, body=body)
        job_id = data.get("job_id")
        if not isinstance(job_id, int):
            raise SlurmError(f"slurmrestd returned no job id: {data.get('errors')}")
        return str(job_id)

    async def query(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """One request for all jobs (``GET /jobs``), filtered to the ones asked for."""
        ids = {str(j) for j in job_ids}
        for j in ids:
            job_id_arg(j.split("_")[0])
        if not ids:
            return {}
        return select(await self._jobs(), ids)

    async def accounting(self, job_id: str) -> list[dict[str, str]]:
        try:
            data = await self._call("GET", f"/slurmdb/{API}/job/{job_id_arg(job_id)}")
        except SlurmError:
            return []
        return [accounting_record(j) for j in data.get("jobs") or []]

    async def cancel(self, job_id: str, *, user: str, signal: str | None = None) -> None:
        path = f"/slurm/{API}/job/{job_id_arg(job_id)}"
        if signal:
            if not signal.isalnum():
                raise ValueError(f"bad signal name {signal!r}")
            path += f"?signal={quote(signal)}"
        await self._call("DELETE", path, user=user, policy=cancel_policy(self.identity)
                         if self.identity is not None else None,
                         ok_errors=(self._NO_JOB, self._ENDING))

    async def _record(self, job_id: str) -> dict | None:
        """slurmctld's record of one job; None when it does not know it."""
        data = await self._call("GET", f"/slurm/{API}/job/{job_id_arg(job_id)}",
                                ok_errors=(self._NO_JOB,))
        return jobjson.record((j for j in data.get("jobs") or [] if isinstance(j, dict)),
                              job_id)

    async def describe(self, job_id: str) -> dict[str, str]:
        try:
            j = await self._record(job_id)
        except SlurmError:
            return {}
        return describe_job(j) if j else {}

    async def cancelled_by(self, job_id: str) -> int | None:
        try:
            data = await self._call("GET", f"/slurmdb/{API}/job/{job_id_arg(job_id)}")
        except SlurmError:
            return None
        for j in data.get("jobs") or []:
            who = j.get("kill_request_user")
            if who:
                try:
                    return pwd.getpwnam(who).pw_uid
                except KeyError:
                    return None
        return None

    async def _jobs(self) -> list[dict]:
        """Every job slurmctld remembers, as the service user (one request)."""
        data = await self._call("GET", f"/slurm/{API}/jobs")
        return [j for j in data.get("jobs") or [] if isinstance(j, dict)]

    async def active_jobs(self) -> list[QueuedJob]:
        return queued(await self._jobs())

    async def jobs_of(self, users: Iterable[str]) -> list[QueuedJob]:
        users = set(users)
        return jobjson.held(await self._jobs(), users) if users else []

    async def job(self, job_id: str) -> QueuedJob | None:
        j = await self._record(job_id)
        return jobjson.queued_job(j) if j else None

    async def partitions(self) -> list[Partition]:
        data = await self._call("GET", f"/slurm/{API}/partitions")
        return [partition(p) for p in data.get("partitions") or []]

    async def nodes(self) -> list[Node]:
        data = await self._call("GET", f"/slurm/{API}/nodes")
        return [node(n) for n in data.get("nodes") or []]

    async def reservations(self) -> list[Reservation]:
        data = await self._call("GET", f"/slurm/{API}/reservations")
        now = time.time()
        return [reservation(r, now) for r in data.get("reservations") or []]

    async def associations(self) -> list[Association]:
        data = await self._call("GET", f"/slurmdb/{API}/associations")
        return [Association(a["user"], a["account"], a.get("partition") or None)
                for a in data.get("associations") or [] if a.get("user") and a.get("account")]
