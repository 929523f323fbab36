"""The CLI backend keeps the contract against stand-in Slurm commands: structured
records only, every failure a SlurmError, best-effort calls that never raise."""

import json
import sys

import pytest

from funicular.core.errors import SlurmError
from funicular.core.slurm import SlurmCLI

RECORD = """\
import json, pathlib, sys, time
here = pathlib.Path(__file__).parent
(here / (pathlib.Path(__file__).name + ".argv")).write_text(json.dumps(sys.argv[1:]))
"""


def command(tmp_path, name: str, body: str) -> str:
    """An executable stand-in for a Slurm command that records its argv."""
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n{RECORD}{body}")
    path.chmod(0o755)
    return str(path)


def argv_of(tmp_path, name: str) -> list[str] | None:
    path = tmp_path / f"{name}.argv"
    return json.loads(path.read_text()) if path.exists() else None


def job(job_id, user, state, name="funicular-x", comment=""):
    return {"job_id": job_id, "user_name": user, "job_state": state, "name": name,
            "comment": comment, "submit_time": 1700000000}


# 22.05 lists every job whatever --users says; 23.02+ gives states as lists
JOBS = [job(11, "ws001", "RUNNING"), job(12, "ws002", "COMPLETING"),
        job(13, "ws002", ["COMPLETED", "COMPLETING"]), job(14, "ws001", "COMPLETED"),
        job(15, "alice", "PENDING"),
        job(16, "ws003", "PENDING", name="x\n17 ws001 RUNNING", comment="\u2028ws001")]


async def test_jobs_of_participants_come_from_the_json_records_only(tmp_path):
    squeue = command(tmp_path, "squeue", f"print({json.dumps({'jobs': JOBS})!r})")
    slurm = SlurmCLI(become="none", squeue=squeue)
    jobs = await slurm.jobs_of(["ws002", "ws001", "ws003"])
    assert [(j.job_id, j.user, j.state) for j in jobs] == [
        ("11", "ws001", "RUNNING"), ("12", "ws002", "COMPLETING"), ("13", "ws002", "COMPLETED"),
        ("16", "ws003", "PENDING")]
    assert jobs[-1].name == "x\n17 ws001 RUNNING"  # one field, whatever it holds
    argv = argv_of(tmp_path, "squeue")
    assert "--json" in argv and "--users=ws001,ws002,ws003" in argv


async def test_no_participants_no_squeue(tmp_path):
    squeue = command(tmp_path, "squeue", "print('{}')")
    assert await SlurmCLI(become="none", squeue=squeue).jobs_of([]) == []
    assert argv_of(tmp_path, "squeue") is None


async def test_a_user_name_cannot_smuggle_another_into_the_argv(tmp_path):
    squeue = command(tmp_path, "squeue", "print('{\"jobs\": []}')")
    with pytest.raises(ValueError):
        await SlurmCLI(become="none", squeue=squeue).jobs_of(["ws001,root"])
    assert argv_of(tmp_path, "squeue") is None


async def test_a_controller_that_does_not_answer_is_a_slurm_error(tmp_path):
    squeue = command(tmp_path, "squeue", "time.sleep(30)")
    slurm = SlurmCLI(become="none", squeue=squeue, timeout=0.3)
    for call in (slurm.active_jobs(), slurm.jobs_of(["ws001"]), slurm.query(["11"])):
        with pytest.raises(SlurmError, match="did not answer within"):
            await call


async def test_a_missing_command_is_a_slurm_error(tmp_path):
    slurm = SlurmCLI(become="none", squeue=str(tmp_path / "no-squeue"),
                     scontrol=str(tmp_path / "no-scontrol"))
    with pytest.raises(SlurmError, match="cannot run"):
        await slurm.active_jobs()
    with pytest.raises(SlurmError, match="cannot run"):
        await slurm.partitions()


async def test_accounting_questions_are_best_effort(tmp_path):
    sacct = command(tmp_path, "sacct", "time.sleep(30)")
    slurm = SlurmCLI(become="none", sacct=sacct, timeout=0.3)
    assert await slurm.cancelled_by("11") is None
    assert await slurm.accounting("11") == []
    sacct = command(tmp_path, "sacct2", "print('CANCELLED by 1234')")
    assert await SlurmCLI(become="none", sacct=sacct).cancelled_by("11") == 1234
