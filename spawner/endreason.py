"""Why a notebook job ended, in words a user understands."""

import html
import pwd
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class JobEnd:
    job_id: str
    state: str  # Slurm's final JobState
    reason: str | None = None
    exit_code: str | None = None  # "rc:signal" as Slurm prints it
    end_time: str | None = None
    time_limit: str | None = None
    node: str | None = None
    cancelled_by_uid: int | None = None
    log_tail: str = ""

    def to_state(self) -> dict:
        return asdict(self)

    @classmethod
    def from_state(cls, d: dict | None) -> "JobEnd | None":
        if not d:
            return None
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


_NONE = ("", "None", "(null)")


def job_end(job_id: str, record: dict[str, str], *, cancelled_by: int | None = None,
            log_tail: str = "") -> JobEnd:
    """A JobEnd from Slurm's record of the job (the backend's ``describe``)."""
    reason = record.get("Reason")
    return JobEnd(job_id=job_id, state=record.get("JobState", "UNKNOWN"),
                  reason=None if reason in _NONE else reason,
                  exit_code=record.get("ExitCode"), end_time=record.get("EndTime"),
                  time_limit=record.get("TimeLimit"),
                  node=record.get("BatchHost") or record.get("NodeList"),
                  cancelled_by_uid=cancelled_by, log_tail=log_tail)


def explain(end: JobEnd, user_uid: int | None = None) -> str:
    """One sentence: what ended the server, and what the user can do about it."""
    job = f"Your last server (Slurm job {end.job_id}"
    job += f" on {end.node})" if end.node else ")"
    state = end.state
    if state == "TIMEOUT":
        limit = f" of {end.time_limit}" if end.time_limit else ""
        return (f"{job} reached its time limit{limit} and was stopped by Slurm. "
                "Choose a longer time, or save your work before the end time shown on the hub.")
    if state == "OUT_OF_MEMORY":
        return (f"{job} ran out of memory and was killed. Choose a profile with more memory, "
                "or use less in your notebooks.")
    if state == "CANCELLED":
        if end.cancelled_by_uid is not None and end.cancelled_by_uid != user_uid:
            return f"{job} was cancelled by an administrator (uid {end.cancelled_by_uid})."
        return f"{job} was cancelled outside the hub (scancel)."
    if state == "NODE_FAIL":
        return f"{job} ended because its node failed. Starting it again will use another node."
    if state == "PREEMPTED":
        return f"{job} was preempted by a job with higher priority."
    if state == "BOOT_FAIL":
        return f"{job} could not start on its node (boot failure)."
    if state == "DEADLINE":
        return f"{job} passed its deadline and was stopped by Slurm."
    if state == "FAILED":
        code = (end.exit_code or "").split(":")
        if len(code) == 2 and code[1] not in ("", "0"):
            return f"{job} was killed by signal {code[1]}."
        return f"{job} failed with exit code {code[0] or '?'}. The end of its log is below."
    if state == "COMPLETED":
        return f"{job} exited (it was shut down from inside JupyterLab, or it ended itself)."
    return f"{job} ended: {state}" + (f" ({end.reason})." if end.reason else ".")


def banner(end: JobEnd, message: str) -> str:
    """Above the spawn form: why the last server ended, and its log's end."""
    tail = html.escape(end.log_tail or "(the job log is empty)")
    return (f'<div class="alert alert-warning funicular-last-end" role="alert">'
            f"<p>{html.escape(message)}</p>"
            f"<details><summary>End of the job log</summary><pre>{tail}</pre></details>"
            f"</div>")


def last_ends(user) -> list[dict]:
    """For ``c.JupyterHub.template_vars`` (JupyterHub calls it with the current user): why
    each of the user's servers last ended, for those that ended on their own."""
    if user is None:
        return []
    try:
        uid = pwd.getpwnam(user.name).pw_uid
    except KeyError:
        uid = None
    out = []
    # active servers come as spawner objects, stopped ones as bare database rows
    for spawner in user.all_spawners():
        orm_spawner = getattr(spawner, "orm_spawner", spawner)
        end = JobEnd.from_state((orm_spawner.state or {}).get("last_end"))
        if end is not None:
            out.append({"server": orm_spawner.name, "message": explain(end, uid),
                        "log_tail": end.log_tail})
    return out
