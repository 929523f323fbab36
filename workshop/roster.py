"""The instructor's table, as plain values: who has a server, in what state, where,
since when, last seen when. Pure: built from the hub's user models and what Slurm
says of their jobs, so it is tested without either."""

import datetime

from funicular.core.slurm.jobinfo import JobInfo


def _iso(value: str | None) -> str:
    return (value or "").replace("T", " ").split(".")[0].rstrip("Z")


def row(user: dict, jobs: dict[str, JobInfo]) -> dict:
    server = (user.get("servers") or {}).get("")
    job_id = ((server or {}).get("state") or {}).get("job_id")
    job = jobs.get(str(job_id)) if job_id else None
    if server is None:
        status = "stopping" if user.get("pending") == "stop" else "no server"
    elif server.get("ready"):
        status = "ready"
    elif server.get("pending") == "spawn" or (job and job.waiting):
        status = "starting"
    elif server.get("pending") == "stop":
        status = "stopping"
    else:
        status = "starting"
    reason = job.reason if job and job.waiting and job.reason not in (None, "None") else ""
    return {
        "name": user["name"], "status": status, "job": job_id or "",
        "state": job.state if job else "", "reason": reason,
        "node": (job.nodes or "") if job and job.running else "",
        "started": _iso(server.get("started")) if server else "",
        "last_activity": _iso(user.get("last_activity")),
    }


def rows(users: list[dict], jobs: dict[str, JobInfo]) -> list[dict]:
    return sorted((row(u, jobs) for u in users), key=lambda r: r["name"])


def summary(table: list[dict], note: str = "") -> dict:
    counts: dict[str, int] = {}
    for r in table:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {"participants": len(table), **counts, "note": note,
            "time": datetime.datetime.now().strftime("%H:%M:%S")}
