"""Slurm's JSON job records (``squeue --json``, slurmrestd) as typed records.

Job names and comments are set by users, and Slurm keeps any character in them,
Unicode line separators included: text output split into lines lets one user add
rows about another user's jobs. JSON keeps each field in its record. The shapes
differ between releases (22.05: ``job_state`` a string, times plain integers;
23.02 and later: ``job_state`` a list, numbers as ``{"set", "infinite", "number"}``),
so every field goes through the small readers here.

22.05's ``squeue --json`` ignores ``--jobs``, ``--user`` and ``--states`` and lists
every job slurmctld remembers: callers keep only the records of the ids they asked
for (``select``).
"""

import dataclasses
import json
import time
from collections.abc import Iterable

from ..errors import SlurmError
from .jobinfo import ACTIVE_STATES, WAITING_STATES, JobInfo, QueuedJob

NO_VALUE = 4294967294  # Slurm's NO_VAL / INFINITE in 32-bit fields
# jobs that hold or wait for an allocation: what the orphan sweep looks at
QUEUED_STATES = (WAITING_STATES | {"RUNNING", "SUSPENDED"}) & ACTIVE_STATES


def number(value) -> int | None:
    """An integer field: plain (22.05) or ``{"set": true, "number": N}`` (23.02+)."""
    if isinstance(value, dict):
        if not value.get("set", True) or value.get("infinite"):
            return None
        value = value.get("number")
    if isinstance(value, bool) or not isinstance(value, int) or value >= NO_VALUE:
        return None
    return value


# flags that squeue (and 22.05's single job_state string) show instead of the base
# state, in the order of Slurm's job_state_string()
_SHOWN_FLAGS = ("COMPLETING", "CONFIGURING", "RESIZING", "REQUEUED", "STAGE_OUT")


def state(value) -> str:
    """``job_state``: "COMPLETING" (22.05) or ["CANCELLED", "COMPLETING"] (23.02+: the
    base state, then flags): one word as squeue shows it, so a job that still releases
    its allocation reads COMPLETING in both (and a stop waits for it on both)."""
    if isinstance(value, list):
        shown = [f for f in _SHOWN_FLAGS if f in value[1:]]
        value = shown[0] if shown else (value[0] if value else None)
    return value if isinstance(value, str) and value else "UNKNOWN"


def text(value) -> str | None:
    return None if value in (None, "", "None", "(null)") or not isinstance(value, str) \
        else value


def iso(epoch) -> str | None:
    """A Unix time as squeue prints it (local time, no zone); None when unset."""
    epoch = number(epoch)
    if epoch is None or epoch <= 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))


def job_id(j: dict) -> str:
    value = number(j.get("job_id"))
    return str(value) if value is not None else ""


def job_info(j: dict) -> JobInfo:
    return JobInfo(job_id=job_id(j), state=state(j.get("job_state")),
                   reason=text(j.get("state_reason")), batch_host=text(j.get("batch_host")),
                   nodes=text(j.get("nodes")), start_time=iso(j.get("start_time")),
                   end_time=iso(j.get("end_time")), user=str(j.get("user_name") or ""),
                   name=str(j.get("name") or ""))


def queued_job(j: dict) -> QueuedJob:
    return QueuedJob(job_id(j), str(j.get("user_name") or ""), number(j.get("submit_time")),
                     str(j.get("name") or ""), str(j.get("comment") or ""),
                     state(j.get("job_state")))


def exit_code(value) -> str:
    """sacct's RC:SIGNAL from a wait status (22.05's jobs) or an exit-code record
    (slurmdbd's jobs in 22.05, whose signal is ``signal_id``; every job in 23.02+,
    whose numbers are ``{"set", "number"}`` and signal ``id``)."""
    if isinstance(value, dict):
        rc = number(value.get("return_code"))
        signal = value.get("signal") if isinstance(value.get("signal"), dict) else {}
        sig = number(signal.get("id", signal.get("signal_id")))
        return f"{rc or 0}:{sig or 0}"
    code = number(value)
    return f"{(code >> 8) & 0xFF}:{code & 0x7F}" if code is not None else ""


def describe_job(j: dict) -> dict[str, str]:
    """The keys of ``scontrol show job`` that the spawner reads."""
    limit = number(j.get("time_limit"))
    return {k: v for k, v in {
        "JobState": state(j.get("job_state")), "Reason": text(j.get("state_reason")),
        "ExitCode": exit_code(j.get("exit_code")), "EndTime": iso(j.get("end_time")),
        "TimeLimit": f"{limit // 60:02d}:{limit % 60:02d}:00" if limit is not None else None,
        "BatchHost": text(j.get("batch_host")), "NodeList": text(j.get("nodes")),
    }.items() if v}


def parse(raw: str | bytes) -> list[dict]:
    """The job records of a JSON answer; SlurmError if it is not one."""
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise SlurmError(f"Slurm's JSON cannot be read: {e}") from None
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, list):
        raise SlurmError("Slurm's JSON has no list of jobs")
    return [j for j in jobs if isinstance(j, dict)]


def record(jobs: Iterable[dict], wanted: str) -> dict | None:
    """The one record of job ``wanted`` among ``jobs`` (an answer may hold others)."""
    return next((j for j in jobs if job_id(j) == str(wanted)), None)


def select(jobs: Iterable[dict], ids: Iterable[str]) -> dict[str, JobInfo]:
    """The records of the ids asked for, and nothing else. The tasks of an array job
    asked for by its id come as ``ID_TASK`` (and the ones still pending as one
    ``ID_[RANGE]``), as squeue names them."""
    ids = {str(i) for i in ids}
    out = {}
    for j in jobs:
        info = job_info(j)
        parent = str(number(j.get("array_job_id")) or "")
        if parent in ids and parent != "0":  # a task (the last one has the array's id)
            task = number(j.get("array_task_id"))
            key = f"{parent}_{task}" if task is not None \
                else f"{parent}_[{j.get('array_task_string') or ''}]"
            out[key] = dataclasses.replace(info, job_id=key)
        elif info.job_id in ids:
            out[info.job_id] = info
    return out


def queued(jobs: Iterable[dict]) -> list[QueuedJob]:
    """Jobs that hold or wait for an allocation."""
    return [queued_job(j) for j in jobs if state(j.get("job_state")) in QUEUED_STATES]


def completing(value) -> bool:
    """Still releasing its allocation: "COMPLETING" (22.05), or that flag in 23.02+'s
    list after the base state."""
    states = value if isinstance(value, list) else [value]
    return "COMPLETING" in states


def held(jobs: Iterable[dict], users: Iterable[str]) -> list[QueuedJob]:
    """The jobs of these users that hold, wait for or still release an allocation."""
    users = set(users)
    return [queued_job(j) for j in jobs if str(j.get("user_name") or "") in users
            and (state(j.get("job_state")) in QUEUED_STATES or completing(j.get("job_state")))]
