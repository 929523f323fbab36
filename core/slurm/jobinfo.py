"""What Slurm says about a job, parsed into a typed record."""

from dataclasses import dataclass

# id|state|reason|batch host|nodes|start|end|user|name  (name last: it is the only free-form field)
SQUEUE_FORMAT = "%i|%T|%r|%B|%N|%S|%e|%u|%j"

# States in which the job still holds, or waits for, an allocation.
ACTIVE_STATES = frozenset({
    "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED",
    "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
    "RESV_DEL_HOLD", "SPECIAL_EXIT",
})
WAITING_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                            "RESV_DEL_HOLD", "SPECIAL_EXIT", "CONFIGURING"})

_NONE = {"", "(null)", "n/a", "N/A", "None", "Unknown", "NONE"}


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    state: str
    reason: str | None
    batch_host: str | None
    nodes: str | None
    start_time: str | None  # ISO 8601 as Slurm prints it; the expected start while pending
    end_time: str | None
    user: str
    name: str

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def running(self) -> bool:
        return self.state == "RUNNING"

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES


@dataclass(frozen=True)
class QueuedJob:
    """A job that holds or waits for an allocation, as the orphan sweep sees it."""

    job_id: str
    user: str
    submitted: float | None  # Unix time
    name: str
    comment: str


def _opt(value: str) -> str | None:
    return None if value.strip() in _NONE else value.strip()


def parse_squeue(text: str) -> dict[str, JobInfo]:
    """Parse output of ``squeue --format=SQUEUE_FORMAT``; unknown lines are skipped."""
    jobs: dict[str, JobInfo] = {}
    for line in text.splitlines():
        parts = line.split("|", 8)
        if len(parts) != 9 or not parts[0].strip():
            continue
        job_id, state, reason, host, nodes, start, end, user, name = parts
        # squeue prints "CANCELLED by 0" for some states; keep the state word only
        state = state.strip().split()[0] if state.strip() else "UNKNOWN"
        jobs[job_id.strip()] = JobInfo(
            job_id=job_id.strip(), state=state, reason=_opt(reason), batch_host=_opt(host),
            nodes=_opt(nodes), start_time=_opt(start), end_time=_opt(end),
            user=user.strip(), name=name.strip(),
        )
    return jobs
