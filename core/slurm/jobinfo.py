"""What Slurm says about a job, parsed into a typed record."""

from dataclasses import dataclass

# States in which the job still holds, or waits for, an allocation.
ACTIVE_STATES = frozenset({
    "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED",
    "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
    "RESV_DEL_HOLD", "SPECIAL_EXIT",
})
WAITING_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED",
                            "RESV_DEL_HOLD", "SPECIAL_EXIT", "CONFIGURING"})

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
    state: str = "UNKNOWN"
