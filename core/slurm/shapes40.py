"""The data parsers' shapes: slurmrestd's v0.0.40, v0.0.41 and v0.0.42 (Slurm 23.11,
24.05 and 24.11; 24.11 serves all three), which the commands' ``--json`` of those
releases writes too.

Checked against the OpenAPI description that slurmrestd 24.11.5 generates (``slurmrestd
--generate-openapi-spec``; the fields read here are cut out into
``tests/unit/core/slurm/data/openapi_shapes.json``): the three versions agree on every
field used here. What changed from v0.0.38:

- numbers that may be unset or unlimited are ``{"set", "infinite", "number"}``;
- states are lists of words, the base state first (``["IDLE", "DRAIN"]``);
- a partition's limits are grouped (``maximums.time``, ``accounts.allowed``) and its
  options (Default, Hidden) are not in the answer at all: the data parsers skip
  them (``add_skip(flags)`` in ``src/plugins/data_parser/v0.0.4x/parsers.c``);
- a submission's environment is a list of "NAME=value" strings, its script goes in
  the job, GPUs are ``tres_per_node`` ("gres/gpu:2", as sbatch sends ``--gres``), and
  the walltime warning has fields of its own (``kill_warning_*``);
- cancelling (v0.0.42) answers HTTP 200 with each job's outcome in ``status``.
"""

from ..batchjob import BatchJob
from .cluster import (
    Association,
    Node,
    Partition,
    Reservation,
    expand_hostlist,
    name_list,
    tres_gpus,
)
from .jobjson import exit_code, iso, number, state, text
from .restscript import batch_script, job_env, same_in_every_dialect
from .shapes38 import association as _association

VERSIONS = ("v0.0.40", "v0.0.41", "v0.0.42")


def _set(value: int) -> dict:
    return {"set": True, "infinite": False, "number": value}


def submit_body(job: BatchJob, env: dict[str, str], script: str) -> dict:
    """The JSON for ``POST /slurm/v0.0.4x/job/submit``; every value comes from a
    validated ``BatchJob``, and ``script`` is the batch script's text."""
    r = job.resources
    desc: dict = {
        "name": job.name, "partition": r.partition, "nodes": str(r.nodes),
        "tasks_per_node": job.tasks_per_node, "cpus_per_task": r.cpus,
        "time_limit": _set(r.minutes), "current_working_directory": job.workdir,
        "standard_output": job.output, "requeue": job.requeue,
        "environment": [f"{k}={v}" for k, v in job_env(job, env).items()],
        "script": batch_script(script, job.warn_signal),
    }
    if r.memory_mb is not None:
        desc["memory_per_node"] = _set(r.memory_mb)
    if r.gpus:
        desc["tres_per_node"] = f"gres/gpu:{r.gpus}"
    desc.update(same_in_every_dialect(job))
    if job.warn_signal:  # sbatch --signal=B:SIG@SECONDS, validated by BatchJob
        sig, _, secs = job.warn_signal.partition("@")
        desc.update(kill_warning_signal=sig, kill_warning_delay=_set(int(secs)),
                    kill_warning_flags=["BATCH_JOB"])
    return {"job": desc}


def _words(value) -> list[str]:
    values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [str(v).upper() for v in values if isinstance(v, str) and v]


def _count(value) -> int:
    return number(value) or 0


def partition(p: dict) -> Partition:
    """Default and Hidden are not in the data parsers' answer: every partition reads
    as neither (see the module's docstring)."""
    accounts, groups = p.get("accounts") or {}, p.get("groups") or {}
    maximums, defaults = p.get("maximums") or {}, p.get("defaults") or {}

    def allow(value):
        return None if value in (None, "", "ALL") else name_list(value)
    max_nodes = number(maximums.get("nodes"))
    return Partition(name=str(p.get("name") or ""),
                     up="UP" in _words((p.get("partition") or {}).get("state")),
                     default=False, hidden=False,
                     max_minutes=number(maximums.get("time")),
                     default_minutes=number(defaults.get("time")),
                     max_nodes=max_nodes if max_nodes else None,
                     allow_accounts=allow(accounts.get("allowed")),
                     deny_accounts=name_list(accounts.get("deny")),
                     allow_groups=allow(groups.get("allowed")))


def node(n: dict) -> Node:
    return Node(name=str(n.get("name") or ""), partitions=tuple(n.get("partitions") or ()),
                state="+".join(_words(n.get("state"))) or "UNKNOWN",
                cpus=_count(n.get("cpus")), cpus_alloc=_count(n.get("alloc_cpus")),
                memory_mb=_count(n.get("real_memory")),
                memory_alloc_mb=_count(n.get("alloc_memory")),
                gpus=tres_gpus(n.get("tres")), gpus_alloc=tres_gpus(n.get("tres_used")))


def reservation(r: dict, now: float) -> Reservation:
    start, end = number(r.get("start_time")) or 0, number(r.get("end_time")) or 0
    return Reservation(name=str(r.get("name") or ""), active=start <= now < end,
                       start=iso(start) or "", end=iso(end) or "",
                       nodes=tuple(expand_hostlist(r.get("node_list") or "")),
                       partition=text(r.get("partition")), users=name_list(r.get("users")),
                       accounts=name_list(r.get("accounts")))


def association(a: dict) -> Association | None:
    """The same fields as v0.0.38's (an account-level association has user "")."""
    return _association(a)


def accounting_record(j: dict) -> dict[str, str]:
    """A slurmdbd job (``/slurmdb/v0.0.4x/job/ID``) as the sacct fields ``accounting``
    gives."""
    array = j.get("array") or {}
    task, parent = number(array.get("task_id")), number(array.get("job_id"))
    job_id = f"{parent}_{task}" if parent and task is not None \
        else str(number(j.get("job_id")) or "")
    t = j.get("time") or {}
    return {"JobID": job_id, "State": state((j.get("state") or {}).get("current")),
            "ExitCode": exit_code(j.get("exit_code")) if j.get("exit_code") else "",
            "Start": iso(t.get("start")) or "", "End": iso(t.get("end")) or "",
            "NodeList": str(j.get("nodes") or "")}


def cancel_failures(data: dict, ok: tuple[int, ...]) -> list[str]:
    """v0.0.42 answers a cancellation with HTTP 200 and each job's outcome in
    ``status`` (slurmctld's ``kill_jobs`` RPC): the ones that failed, but for the
    error numbers in ``ok``, in words. v0.0.40 and v0.0.41 have no ``status``."""
    out = []
    for s in data.get("status") or []:
        err = s.get("error") if isinstance(s, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        if isinstance(code, int) and code != 0 and code not in ok:
            out.append(str(err.get("message") or err.get("string") or f"error {code}"))
    return out
