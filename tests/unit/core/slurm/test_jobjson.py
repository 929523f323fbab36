"""Job records from Slurm's JSON: each field stays in its record, whatever users put
into job names and comments, in the shapes of 22.05 and of later releases."""

import json

import pytest

from funicular.core.errors import SlurmError
from funicular.core.slurm import jobjson

# every character Python's str.splitlines() breaks a line at
SEPARATORS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85",
              "\u2028", "\u2029"]


def job_2205(job_id, user, state="RUNNING", name="x", comment="", **kw):
    return {"job_id": job_id, "user_name": user, "job_state": state, "name": name,
            "comment": comment, "state_reason": "None", "batch_host": "mc1", "nodes": "mc1",
            "start_time": 1796356885, "end_time": 1796360485, "submit_time": 1796356884,
            "array_job_id": 0, "array_task_id": None, "array_task_string": "",
            "exit_code": 0, "time_limit": 60, **kw}


def job_2411(job_id, user, state="RUNNING", name="x", comment="", **kw):
    def n(v):
        return {"set": True, "infinite": False, "number": v}
    return {"job_id": job_id, "user_name": user, "job_state": [state], "name": name,
            "comment": comment, "state_reason": "None", "batch_host": "mc1", "nodes": "mc1",
            "start_time": n(1796356885), "end_time": n(1796360485), "submit_time": n(1796356884),
            "array_job_id": n(0), "array_task_id": {"set": False, "infinite": False,
                                                    "number": 0},
            "array_task_string": "", "time_limit": n(60),
            "exit_code": {"status": ["EXITED"], "return_code": n(3),
                          "signal": {"id": {"set": False, "number": 0}, "name": ""}}, **kw}


@pytest.mark.parametrize("shape", [job_2205, job_2411])
@pytest.mark.parametrize("sep", SEPARATORS)
def test_a_hostile_name_or_comment_adds_no_record(shape, sep):
    # bob names his own job so that a line splitter would read alice's job 7 as FAILED
    forged = f"{sep}7|FAILED|None|mc1|mc1|N/A|N/A|alice|funicular-alice{sep}"
    raw = json.dumps({"jobs": [shape(7, "alice", name="funicular-alice"),
                               shape(8, "bob", name=forged, comment=forged)]})
    jobs = jobjson.select(jobjson.parse(raw), ["7", "8"])
    assert set(jobs) == {"7", "8"}
    assert jobs["7"].state == "RUNNING" and jobs["7"].user == "alice"
    assert jobs["8"].user == "bob" and jobs["8"].name == forged
    queued = {q.job_id: q for q in jobjson.queued(jobjson.parse(raw))}
    assert set(queued) == {"7", "8"} and queued["8"].comment == forged
    assert queued["7"].user == "alice" and queued["8"].user == "bob"


@pytest.mark.parametrize("shape", [job_2205, job_2411])
def test_only_the_ids_asked_for(shape):
    raw = json.dumps({"jobs": [shape(7, "alice"), shape(8, "bob"), shape(9, "bob")]})
    assert set(jobjson.select(jobjson.parse(raw), ["8"])) == {"8"}
    assert jobjson.select(jobjson.parse(raw), []) == {}


@pytest.mark.parametrize("shape", [job_2205, job_2411])
def test_fields_of_both_shapes(shape):
    j = shape(7, "alice", state="PENDING", state_reason="Resources")
    info = jobjson.job_info(j)
    assert info.waiting and info.reason == "Resources" and info.user == "alice"
    assert info.start_time.startswith("2026-") and info.end_time.startswith("2026-")
    assert jobjson.queued_job(j).submitted == 1796356884
    d = jobjson.describe_job({**j, "job_state": "FAILED" if shape is job_2205 else ["FAILED"]})
    assert d["JobState"] == "FAILED" and d["TimeLimit"] == "01:00:00"
    assert d["ExitCode"] == ("0:0" if shape is job_2205 else "3:0")


def test_unset_numbers_and_states():
    assert jobjson.number({"set": False, "number": 5}) is None
    assert jobjson.number({"set": True, "infinite": True, "number": 0}) is None
    assert jobjson.number(4294967294) is None and jobjson.number(True) is None
    assert jobjson.state([]) == "UNKNOWN" and jobjson.state(["RUNNING", "COMPLETING"]) == \
        "COMPLETING"
    assert jobjson.iso(0) is None


def test_array_tasks_come_as_squeue_names_them():
    raw = json.dumps({"jobs": [
        job_2205(11, "alice", array_job_id=10, array_task_id=1),
        job_2205(10, "alice", state="PENDING", array_job_id=10, array_task_string="2-4")]})
    assert set(jobjson.select(jobjson.parse(raw), ["10"])) == {"10_1", "10_[2-4]"}


@pytest.mark.parametrize("raw", ["", "not json", "[]", '{"jobs": 3}'])
def test_unreadable_answers_raise(raw):
    with pytest.raises(SlurmError):
        jobjson.parse(raw)


@pytest.mark.parametrize(("job_state", "shown"), [
    ("COMPLETING", "COMPLETING"),                 # 22.05: one word, as squeue shows it
    (["CANCELLED", "COMPLETING"], "COMPLETING"),  # 24.11: still releasing its nodes
    (["COMPLETED", "COMPLETING"], "COMPLETING"),
    (["RUNNING", "CONFIGURING"], "CONFIGURING"),
    (["CANCELLED"], "CANCELLED"), (["RUNNING"], "RUNNING"), ([], "UNKNOWN")])
def test_a_state_reads_as_squeue_shows_it_in_both_releases(job_state, shown):
    """A stop waits until the job no longer holds its allocation: 24.11's list puts the
    COMPLETING flag after the base state, and reading the base state alone let a stop
    through slurmrestd return while the nodes were still being released."""
    assert jobjson.state(job_state) == shown
    info = jobjson.job_info({"job_id": 7, "job_state": job_state})
    assert info.active == (shown in ("COMPLETING", "CONFIGURING", "RUNNING"))
