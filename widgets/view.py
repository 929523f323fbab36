"""What the widgets show of a job, as plain values: pure, so it is tested without a
kernel or a browser."""

import datetime
import shlex

_ISO = "%Y-%m-%dT%H:%M:%S"


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.datetime.strptime(iso, _ISO).timestamp()
    except ValueError:
        return None


def duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def row(job: dict, now: float) -> dict:
    """One line of the JobMonitor table."""
    start, end = _epoch(job.get("started")), _epoch(job.get("ended"))
    limit = (job.get("request") or {}).get("minutes", 0) * 60
    state = job["state"]
    if state == "RUNNING" and start:
        time_text = f"{duration(now - start)} elapsed, {duration(start + limit - now)} left"
    elif job.get("final") and start and end:
        time_text = f"ran {duration(end - start)}"
    elif state == "PENDING" and job.get("expected_start"):
        time_text = f"expected {job['expected_start'].replace('T', ' ')}"
    else:
        time_text = ""
    tasks = job.get("tasks") or {}
    if sum(tasks.values()) > 1:
        state += " (" + ", ".join(f"{n} {s.lower()}" for s, n in sorted(tasks.items())) + ")"
    return {"id": job["id"], "name": job["name"], "state": state,
            "reason": job.get("reason") or job.get("error") or "", "time": time_text,
            "nodes": job.get("nodes") or "", "data": staging(job),
            "cancellable": not job.get("final")}


def staging(job: dict) -> str:
    """What a job staged: "in 2/2, out 1/1" as files reach the store, with failures named."""
    st, req = job.get("staging"), job.get("request") or {}
    if not st:
        return ""
    parts = []
    for direction in ("in", "out"):
        wanted = len(req.get(f"stage_{direction}") or [])
        if not wanted:
            continue
        report = st.get(direction) or []
        done = sum(r["state"] == "done" for r in report)
        failed = [r for r in report if r["state"] != "done"]
        text = f"{direction} {done}/{wanted}"
        if failed:
            text += f" ({failed[0]['src']}: {failed[0]['error'] or failed[0]['state']})"
        parts.append(text)
    return ", ".join(parts)


def parse_command(text: str) -> list[str]:
    """The launcher's command line into arguments, split as a POSIX shell would split
    words: no shell ever runs it, so ``;``, ``$(...)`` and ``|`` stay literal text."""
    try:
        argv = shlex.split(text)
    except ValueError as e:
        raise ValueError(f"command: {e}") from None
    if not argv:
        raise ValueError("command: is required")
    return argv
