"""What slurmrestd and the Slurm commands answer, per release, for the unit tests.

22.05.8 (v0.0.38): recorded from the box's slurmrestd (data/slurmrestd.json).
24.11.5 (v0.0.40 to v0.0.42): written after the OpenAPI description slurmrestd 24.11.5
generates, which test_shapes checks every answer here against
(data/openapi_shapes.json, made by data/cut_openapi.py).
"""

import json
from pathlib import Path

DATA = Path(__file__).parent / "data"
RECORDED_2205 = json.loads((DATA / "slurmrestd.json").read_text())
OPENAPI = json.loads((DATA / "openapi_shapes.json").read_text())

START, END, SUBMIT = 1796356885, 1796360485, 1796356884  # 2026-12-04


def n(value: int) -> dict:
    """A number the data parsers may leave unset: set."""
    return {"set": True, "infinite": False, "number": value}


UNSET = {"set": False, "infinite": False, "number": 0}
UNLIMITED = {"set": False, "infinite": True, "number": 0}


def spec(release: str, only: tuple[str, ...] = ()) -> dict:
    """slurmrestd's answer to GET /openapi/v3, its paths those of the release (or of
    the versions in ``only`` among them)."""
    paths = [p for p in OPENAPI["paths"][release] if not only or any(v in p for v in only)]
    return {"openapi": "3.0.3", "info": OPENAPI["info"][release],
            "paths": {p: {} for p in paths}}


def spec_of(*paths: str) -> dict:
    return {"openapi": "3.0.3", "info": {"version": "made up"},
            "paths": {p: {} for p in paths}}


def meta(version: str = "v0.0.42", command: tuple[str, ...] = ()) -> dict:
    """24.11's meta: its release and the data parser that wrote the answer."""
    return {"plugin": {"type": "" if command else "openapi/slurmctld",
                       "name": "" if command else "Slurm OpenAPI slurmctld",
                       "data_parser": f"data_parser/{version}", "accounting_storage": ""},
            "client": {"source": "[local]", "user": "slurm", "group": "slurm"},
            "command": list(command),
            "slurm": {"version": {"major": "24", "micro": "5", "minor": "11"},
                      "release": "24.11.5", "cluster": "box"}}


META_2205 = {"plugin": {"type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38"},
             "Slurm": {"version": {"major": 22, "micro": 8, "minor": 5},
                       "release": "22.05.8"}}


def answer(version: str = "v0.0.42", **records) -> dict:
    return {**records, "meta": meta(version), "errors": [], "warnings": []}


# ------------------------------------------------------------------ jobs
def job_2411(job_id, user, state=("RUNNING",), name="funicular-x", comment="", **kw) -> dict:
    return {"account": "physics", "array_job_id": n(0), "array_task_id": UNSET,
            "array_task_string": "", "batch_host": "mc1", "comment": comment,
            "exit_code": {"status": ["SUCCESS"], "return_code": n(0),
                          "signal": {"id": UNSET, "name": ""}},
            "job_id": job_id, "job_state": list(state), "name": name, "nodes": "mc1",
            "partition": "mc", "start_time": n(START), "end_time": n(END),
            "submit_time": n(SUBMIT), "state_reason": "None", "time_limit": n(60),
            "user_name": user, **kw}


def job_2205(job_id, user, state="RUNNING", name="funicular-x", comment="", **kw) -> dict:
    return {**RECORDED_2205["job"], "job_id": job_id, "user_name": user, "job_state": state,
            "name": name, "comment": comment, **kw}


# ------------------------------------------------------------------ the cluster view
PARTITIONS_2411 = [
    {"name": "mc", "nodes": {"allowed_allocation": "", "configured": "mc[1-2]", "total": 2},
     "accounts": {"allowed": "", "deny": ""}, "groups": {"allowed": ""},
     "qos": {"allowed": "", "deny": "", "assigned": ""}, "cluster": "",
     "cpus": {"task_binding": 0, "total": 16},
     "defaults": {"memory_per_cpu": 256, "partition_memory_per_cpu": n(256),
                  "partition_memory_per_node": UNSET, "time": n(60), "job": ""},
     "maximums": {"cpus_per_node": UNLIMITED, "memory_per_cpu": 0, "nodes": UNLIMITED,
                  "time": n(1440), "shares": 1,
                  "oversubscribe": {"jobs": 1, "flags": []}},
     "minimums": {"nodes": 0}, "partition": {"state": ["UP"]}},
    {"name": "gpu", "nodes": {"allowed_allocation": "", "configured": "gpu1", "total": 1},
     "accounts": {"allowed": "physics,chem", "deny": "guests"},
     "groups": {"allowed": "hpc"},
     "defaults": {"time": UNSET}, "maximums": {"nodes": n(1), "time": UNLIMITED},
     "partition": {"state": ["DOWN"]}},
]
NODES_2411 = [
    {"name": "gpu1", "hostname": "gpu1", "state": ["IDLE"], "partitions": ["gpu"],
     "cpus": 8, "alloc_cpus": 0, "alloc_idle_cpus": 8, "real_memory": 16000,
     "alloc_memory": 0, "tres": "cpu=8,mem=16000M,billing=8,gres/gpu=2", "tres_used": ""},
    {"name": "mc1", "hostname": "mc1", "state": ["MIXED"], "partitions": ["mc"], "cpus": 8,
     "alloc_cpus": 1, "real_memory": 16000, "alloc_memory": 256,
     "tres": "cpu=8,mem=16000M,billing=8", "tres_used": "cpu=1,mem=256M"},
    {"name": "mc2", "hostname": "mc2", "state": ["IDLE", "DRAIN"], "partitions": ["mc"],
     "cpus": 8, "alloc_cpus": 0, "real_memory": 16000, "alloc_memory": 0,
     "tres": "cpu=8,mem=16000M,billing=8", "tres_used": ""},
]
RESERVATIONS_2411 = [
    {"name": "course", "start_time": n(START), "end_time": n(END), "node_list": "mc2",
     "node_count": 1, "partition": "", "users": "alice", "accounts": "", "groups": "",
     "flags": ["SPEC_NODES"], "tres": "cpu=8", "core_count": 8},
    {"name": "later", "start_time": n(END), "end_time": n(END + 3600), "node_list": "",
     "partition": "mc", "users": "", "accounts": "physics,-guests"},
]
ASSOCIATIONS_2411 = [
    {"account": "root", "cluster": "box", "user": "", "partition": "", "id": 1},
    {"account": "physics", "cluster": "box", "user": "alice", "partition": "", "id": 2},
    {"account": "physics", "cluster": "box", "user": "bob", "partition": "gpu", "id": 3},
]


# ------------------------------------------------------------------ accounting
def accounted_2411(job_id=41, **kw) -> dict:
    return {"job_id": job_id, "name": "funicular-x", "user": "alice", "nodes": "mc1",
            "array": {"job_id": 0, "task_id": UNSET, "task": "",
                      "limits": {"max": {"running": {"tasks": 0}}}},
            "state": {"current": ["CANCELLED"], "reason": "None"},
            "exit_code": {"status": ["SIGNALED"], "return_code": UNSET,
                          "signal": {"id": n(9), "name": "KILL"}},
            "time": {"start": START, "end": END, "submission": SUBMIT, "limit": n(60)},
            "kill_request_user": "root", **kw}


def accounted_2205(job_id=41, **kw) -> dict:
    return {"job_id": job_id, "name": "funicular-x", "user": "alice", "nodes": "mc1",
            "array": {"job_id": 0, "task_id": 4294967294, "task": None},
            "state": {"current": "CANCELLED", "reason": "None"},
            "exit_code": {"status": "SIGNALED", "return_code": 0,
                          "signal": {"signal_id": 9, "name": "KILL"}},
            "time": {"start": START, "end": END, "submission": SUBMIT, "limit": 60},
            "kill_request_user": "root", **kw}


def killed(*outcomes: tuple[int, int, str]) -> dict:
    """v0.0.42's answer to DELETE /job/ID: (job id, error code, message) per job."""
    return answer(status=[{"job_id": n(job_id), "step_id": "", "federation": {"sibling": ""},
                           "error": {"code": code, "message": message, "string": message}}
                          for job_id, code, message in outcomes])
