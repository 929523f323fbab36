"""Why a job is still waiting, in words a user understands (Slurm's reason codes)."""

from funicular.core.slurm.jobinfo import JobInfo

REASONS = {
    "None": "waiting for the scheduler's next pass",
    "Priority": "other jobs with higher priority are ahead of yours",
    "Resources": "the nodes that fit your request are busy",
    "ReqNodeNotAvail": "the nodes that fit your request are down, drained or reserved",
    "PartitionNodeLimit": "the request exceeds the partition's node limit",
    "PartitionTimeLimit": "the walltime exceeds the partition's limit",
    "PartitionDown": "the partition is down",
    "PartitionInactive": "the partition is inactive",
    "Reservation": "waiting for the reservation to start",
    "BeginTime": "waiting for the requested start time",
    "Dependency": "waiting for another job to finish",
    "JobHeldUser": "held by you",
    "JobHeldAdmin": "held by an administrator",
    "QOSMaxJobsPerUserLimit": "you already run as many jobs as your QOS allows",
    "AssocMaxJobsLimit": "your account already runs as many jobs as it may",
    "AssocGrpCPULimit": "your account has reached its CPU limit",
    "AssocGrpGRES": "your account has reached its GPU limit",
    "AssocGrpMemLimit": "your account has reached its memory limit",
    "AssocGrpNodeLimit": "your account has reached its node limit",
    "QOSGrpCpuLimit": "the QOS has reached its CPU limit",
    "QOSGrpGRES": "the QOS has reached its GPU limit",
    "launch failed requeued held": "the job failed to launch and is held",
}


def pending_message(info: JobInfo) -> str:
    """E.g. "Queued: the nodes that fit your request are busy (Resources); expected
    start 2026-11-23T10:00:00"."""
    code = info.reason or "None"
    words = REASONS.get(code, code)
    tail = f" ({code})" if code in REASONS and code != "None" else ""
    start = f"; expected start {info.start_time}" if info.start_time else ""
    return f"Queued: {words}{tail}{start}"
