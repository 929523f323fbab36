"""The user's running servers with their Slurm job, node and end time, for the home page."""

import datetime


def _left(end: datetime.datetime, now: datetime.datetime) -> str:
    minutes = max(0, int((end - now).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def running_servers(user, now: datetime.datetime | None = None) -> list[dict]:
    """For ``c.JupyterHub.template_vars`` (called with the current user)."""
    if user is None:
        return []
    now = now or datetime.datetime.now()
    out = []
    for spawner in user.all_spawners():
        orm_spawner = getattr(spawner, "orm_spawner", spawner)
        state = orm_spawner.state or {}
        if not orm_spawner.server or not state.get("job_id"):
            continue
        try:
            end = datetime.datetime.fromisoformat(state.get("end_time") or "")
        except ValueError:
            end = None
        out.append({"server": orm_spawner.name, "job_id": state["job_id"],
                    "node": state.get("host"), "end_time": state.get("end_time"),
                    "left": _left(end, now) if end else None})
    return out
