"""What JobMonitor shows of a job and how JobLauncher reads a command line."""

import datetime

import pytest

from funicular.widgets.view import duration, parse_command, row, staging


def epoch(iso: str) -> float:
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S").timestamp()


JOB = {"id": "j0123456789ab", "name": "sim", "state": "RUNNING", "reason": None,
       "started": "2026-11-23T10:00:00", "ended": None, "nodes": "mc1,mc2", "final": False,
       "request": {"minutes": 60}, "tasks": {}}


def test_running_job_elapsed_and_left():
    r = row(JOB, epoch("2026-11-23T10:05:30"))
    assert r["time"] == "5:30 elapsed, 54:30 left" and r["cancellable"] is True
    assert r["nodes"] == "mc1,mc2"


def test_pending_array_and_ended_jobs():
    pending = {**JOB, "state": "PENDING", "started": None, "reason": "Dependency",
               "expected_start": "2026-11-23T11:00:00",
               "tasks": {"PENDING": 8, "COMPLETED": 2}}
    r = row(pending, epoch("2026-11-23T10:05:30"))
    assert r["state"] == "PENDING (2 completed, 8 pending)" and r["reason"] == "Dependency"
    assert r["time"] == "expected 2026-11-23 11:00:00"
    done = {**JOB, "state": "FAILED", "ended": "2026-11-23T11:02:03", "final": True,
            "error": None}
    r = row(done, epoch("2026-11-23T12:00:00"))
    assert r["time"] == "ran 1:02:03" and r["cancellable"] is False
    refused = {**JOB, "state": "SUBMIT_FAILED", "final": True, "started": None,
               "error": "Invalid partition name specified"}
    assert row(refused, 0)["reason"] == "Invalid partition name specified"


def test_durations():
    assert duration(59) == "0:59" and duration(3600) == "1:00:00" and duration(None) == ""


def test_command_line_is_split_never_run():
    assert parse_command("python3 sim.py --name 'a b'; rm -rf ~ $(id)") == [
        "python3", "sim.py", "--name", "a b;", "rm", "-rf", "~", "$(id)"]
    for bad in ("", "   ", "echo 'unterminated"):
        with pytest.raises(ValueError, match="command"):
            parse_command(bad)


def test_monitor_changes_its_rows_in_place():
    """A job's line is made once and then changed: new widgets per update would flood
    the browser with messages."""
    from funicular.widgets.monitor import JobMonitor

    m = JobMonitor(follow_logs=False)  # no server here: its listener just retries
    m.close()
    m._jobs = {JOB["id"]: {**JOB, "submitted": 1}}
    m._render()
    line = m._rows[JOB["id"]]
    m._jobs[JOB["id"]] = {**JOB, "submitted": 1, "state": "COMPLETED", "final": True}
    m._render()
    assert m._rows[JOB["id"]] is line and m.table.children[1] is line.box
    assert line.cells[2].value == "COMPLETED"
    assert line.cells[2]._dom_classes == ("funicular-state-completed",)
    assert line.cancel.disabled is True and len(m.table.children) == 2


def test_staging_summary_names_what_failed():
    job = {"request": {"stage_in": [{"src": "swift://d/a", "dst": "a"}],
                       "stage_out": [{"src": "r.csv", "dst": "swift://d/r.csv"},
                                     {"src": "s.csv", "dst": "swift://d/s.csv"}]},
           "staging": {"in": [{"src": "swift://d/a", "state": "done", "error": ""}],
                       "out": [{"src": "r.csv", "state": "done", "error": ""},
                               {"src": "s.csv", "state": "failed",
                                "error": "s.csv: the job left no such file"}]}}
    assert staging(job) == "in 1/1, out 1/2 (s.csv: s.csv: the job left no such file)"
    job["staging"]["out"] = None  # not staged out yet
    assert staging(job) == "in 1/1, out 0/2"
    assert staging({"request": {}}) == ""
