"""Queue reasons in words, with the expected start time."""

from funicular.core.slurm.jobinfo import JobInfo
from funicular.spawner.pending import pending_message


def info(reason, start=None):
    return JobInfo("1", "PENDING", reason, None, None, start, None, "alice", "x")


def test_known_unknown_and_missing_reasons():
    assert pending_message(info("Resources", "2026-11-23T10:00:00")) == (
        "Queued: the nodes that fit your request are busy (Resources); "
        "expected start 2026-11-23T10:00:00")
    assert pending_message(info(None)) == "Queued: waiting for the scheduler's next pass"
    assert pending_message(info("SomeNewReason")) == "Queued: SomeNewReason"
