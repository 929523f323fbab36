"""Slurm 22.05's shapes: slurmrestd's OpenAPI v0.0.38 (and ``dbv0.0.38``), which its
commands' ``--json`` writes too.

Numbers are plain integers (NO_VAL and INFINITE as 4294967294-ish values or -1),
states plain strings ("RUNNING"; a node's "idle" plus ``state_flags``), partition
options a list of lower-case ``flags``; a submission's environment is an object.
Job records (``/jobs``, ``/job/ID``, ``squeue --json``) are read by ``jobjson``, whose
readers take this dialect's fields and the later ones alike.
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
from .jobjson import NO_VALUE, exit_code, iso, state
from .restscript import batch_script, job_env, same_in_every_dialect

VERSIONS = ("v0.0.38",)


def submit_body(job: BatchJob, env: dict[str, str], script: str) -> dict:
    """The JSON for ``POST /slurm/v0.0.38/job/submit``; every value comes from a
    validated ``BatchJob``, and ``script`` is the batch script's text."""
    r = job.resources
    # "nodes" is a count as a string: v0.0.38 silently ignores a [min, max] pair and
    # gives one node (found when an MPI job for two nodes ran on one)
    desc: dict = {
        "name": job.name, "partition": r.partition, "nodes": str(r.nodes),
        "tasks_per_node": job.tasks_per_node, "cpus_per_task": r.cpus, "time_limit": r.minutes,
        "current_working_directory": job.workdir, "standard_output": job.output,
        "requeue": job.requeue, "environment": job_env(job, env),
    }
    if r.memory_mb is not None:
        desc["memory_per_node"] = r.memory_mb
    if r.gpus:
        desc["gres"] = f"gpu:{r.gpus}"
    desc.update(same_in_every_dialect(job))
    # 22.05 cannot ask for the batch-shell signal (B:): the #SBATCH line only says what
    # was meant, and the hub's timer gives the warning instead
    return {"job": desc, "script": batch_script(script, job.warn_signal)}


def _opt(value) -> str | None:
    return None if value in (None, "", "None", "(null)") else str(value)


def _minutes(value) -> int | None:
    return value if isinstance(value, int) and 0 <= value < NO_VALUE else None


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
                     < NO_VALUE else None,
                     allow_accounts=allow("allowed_accounts"),
                     deny_accounts=name_list(p.get("denied_accounts")),
                     allow_groups=allow("allowed_groups"))


def node(n: dict) -> Node:
    flags = [str(f).upper() for f in n.get("state_flags") or []]
    node_state = "+".join([str(n.get("state", "UNKNOWN")).upper(), *flags])
    return Node(name=n.get("name", ""), partitions=tuple(n.get("partitions") or ()),
                state=node_state, cpus=int(n.get("cpus") or 0),
                cpus_alloc=int(n.get("alloc_cpus") or 0),
                memory_mb=int(n.get("real_memory") or 0),
                memory_alloc_mb=int(n.get("alloc_memory") or 0),
                gpus=tres_gpus(n.get("tres")), gpus_alloc=tres_gpus(n.get("tres_used")))


def reservation(r: dict, now: float) -> Reservation:
    start, end = r.get("start_time") or 0, r.get("end_time") or 0
    return Reservation(name=r.get("name", ""), active=start <= now < end,
                       start=iso(start) or "", end=iso(end) or "",
                       nodes=tuple(expand_hostlist(r.get("node_list") or "")),
                       partition=_opt(r.get("partition")), users=name_list(r.get("users")),
                       accounts=name_list(r.get("accounts")))


def association(a: dict) -> Association | None:
    """A user's association (account-level ones, without a user, are None)."""
    user, account = a.get("user"), a.get("account")
    if not (isinstance(user, str) and user and isinstance(account, str) and account):
        return None
    return Association(user, account, a.get("partition") or None)


def accounting_record(j: dict) -> dict[str, str]:
    """A slurmdbd job (``/slurmdb/v0.0.38/job/ID``) as the sacct fields ``accounting``
    gives."""
    array = j.get("array") or {}
    task, parent = array.get("task_id"), array.get("job_id")
    job_id = f"{parent}_{task}" if parent and isinstance(task, int) and task < NO_VALUE \
        else str(j.get("job_id"))
    code = j.get("exit_code") or {}
    rc, sig = code.get("return_code"), (code.get("signal") or {}).get("signal_id")
    t = j.get("time") or {}
    current = state((j.get("state") or {}).get("current"))
    # 22.05's slurmdbd answers SUCCESS/0 for every job, a FAILED one too (sacct shows
    # the real code): a code that contradicts the state is unknown here, not 0:0
    known = (isinstance(rc, int) or sig) and not (current == "FAILED" and not rc and not sig)
    return {"JobID": job_id, "State": current,
            # sacct's RC:SIGNAL; a job ended by a signal has no return code
            "ExitCode": exit_code(code) if known else "",
            "Start": iso(t.get("start")) or "", "End": iso(t.get("end")) or "",
            "NodeList": str(j.get("nodes") or "")}


def cancel_failures(data: dict, ok: tuple[int, ...]) -> list[str]:
    """v0.0.38 says a failed cancellation in its ``errors``, which every call reads."""
    return []
