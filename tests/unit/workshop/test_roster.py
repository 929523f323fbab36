"""The instructor's table from hub user models and Slurm's view of their jobs."""

from funicular.core.slurm.jobinfo import JobInfo
from funicular.workshop.roster import rows, summary


def _job(job_id, state, reason=None, nodes=None):
    return JobInfo(job_id=job_id, state=state, reason=reason, batch_host=nodes, nodes=nodes,
                   start_time=None, end_time=None, user="u", name="funicular-x")


USERS = [
    {"name": "ws002", "last_activity": "2026-11-23T10:01:02.123Z", "servers": {"": {
        "ready": False, "pending": "spawn", "started": "2026-11-23T10:00:00.000Z",
        "state": {"job_id": "12"}}}},
    {"name": "ws001", "last_activity": "2026-11-23T10:05:00.000Z", "servers": {"": {
        "ready": True, "pending": None, "started": "2026-11-23T09:59:00.000Z",
        "state": {"job_id": "11"}}}},
    {"name": "ws003", "last_activity": None, "servers": {}},
]


def test_rows_say_who_is_where_and_why_waiting():
    jobs = {"11": _job("11", "RUNNING", nodes="mc1"),
            "12": _job("12", "PENDING", reason="ReqNodeNotAvail, Reserved for maintenance")}
    table = rows(USERS, jobs)
    assert [r["name"] for r in table] == ["ws001", "ws002", "ws003"]
    ws001, ws002, ws003 = table
    assert (ws001["status"], ws001["node"], ws001["job"], ws001["state"]) == (
        "ready", "mc1", "11", "RUNNING")
    assert ws001["started"] == "2026-11-23 09:59:00"
    assert (ws002["status"], ws002["reason"], ws002["node"]) == (
        "starting", "ReqNodeNotAvail, Reserved for maintenance", "")
    assert (ws003["status"], ws003["job"], ws003["last_activity"]) == ("no server", "", "")
    s = summary(table)
    assert (s["participants"], s["ready"], s["starting"], s["no server"]) == (3, 1, 1, 1)


def test_a_job_slurm_forgot_still_shows_the_hubs_view():
    (r,) = rows(USERS[1:2], {})
    assert r["status"] == "ready" and r["state"] == "" and r["node"] == ""


class _Participants:
    group = "workshop"

    async def list(self):
        return USERS


class _Slurm:
    def __init__(self):
        self.answers = []

    async def query(self, job_ids):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_when_slurm_is_too_busy_the_page_keeps_its_last_answer_and_says_so():
    from funicular.core.errors import SlurmError
    from funicular.workshop.service import Room

    slurm = _Slurm()
    w = Room(_Participants(), None, slurm)
    slurm.answers = [{"11": _job("11", "RUNNING", nodes="ws1")},
                     SlurmError("squeue failed (exit 1): Socket timed out on send/recv"),
                     SlurmError("squeue did not answer within 30 s"),
                     {"11": _job("11", "COMPLETING", nodes="ws1")}]
    assert (await w.table())[0]["node"] == "ws1" and w.slurm_note == ""
    for _ in range(2):  # a failed squeue, then one that hung
        ws001 = (await w.table())[0]
        assert (ws001["state"], ws001["node"]) == ("RUNNING", "ws1")
        assert "Slurm did not answer" in w.slurm_note
    ws001 = (await w.table())[0]
    assert ws001["state"] == "COMPLETING" and w.slurm_note == ""
