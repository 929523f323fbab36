"""Every way a job can end gets a sentence that names the cause."""

import pytest

from funicular.spawner.endreason import JobEnd, explain


@pytest.mark.parametrize("end,words", [
    (JobEnd("7", "TIMEOUT", "TimeLimit", "0:15", time_limit="00:01:00", node="mc1"),
     ["job 7 on mc1", "time limit of 00:01:00"]),
    (JobEnd("7", "OUT_OF_MEMORY", "OutOfMemory", "0:125"), ["ran out of memory"]),
    (JobEnd("7", "CANCELLED", cancelled_by_uid=0), ["cancelled by an administrator (uid 0)"]),
    (JobEnd("7", "CANCELLED", cancelled_by_uid=1001), ["cancelled outside the hub"]),
    (JobEnd("7", "NODE_FAIL"), ["node failed"]),
    (JobEnd("7", "FAILED", "NonZeroExitCode", "3:0"), ["exit code 3"]),
    (JobEnd("7", "FAILED", "JobLaunchFailure", "0:9"), ["signal 9"]),
    (JobEnd("7", "COMPLETED", exit_code="0:0"), ["exited"]),
    (JobEnd("7", "SPECIAL_THING", "Odd"), ["SPECIAL_THING", "Odd"]),
])
def test_explain(end, words):
    text = explain(end, user_uid=1001)
    for w in words:
        assert w in text


def test_state_roundtrip():
    end = JobEnd("9", "TIMEOUT", log_tail="x\ny")
    assert JobEnd.from_state(end.to_state()) == end
    assert JobEnd.from_state(None) is None
