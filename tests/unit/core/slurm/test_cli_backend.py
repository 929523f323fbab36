"""The CLI backend keeps the contract against stand-in Slurm commands: structured
records only, every failure a SlurmError, best-effort calls that never raise."""

import json
import sys
from pathlib import Path

import pytest

from funicular.core.errors import SlurmError
from funicular.core.slurm import SlurmCLI

from . import answers

DATA = Path(__file__).parent / "data"

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
        ("11", "ws001", "RUNNING"), ("12", "ws002", "COMPLETING"), ("13", "ws002", "COMPLETING"),
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


# ------------------------------------------------------------------ releases
def scontrol(tmp_path, version: str, answers: dict[str, str], name: str = "scontrol") -> str:
    """A stand-in scontrol of a release that logs each call's argv: ``--version``, and
    ``answers`` by what follows ``show`` ("node --json" for ``--json show node``)."""
    body = f"""
with open(here / "{name}.calls", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = sys.argv[1:]
answers = {answers!r}
if args == ["--version"]:
    print({version!r})
    sys.exit(0)
if "--json" in args and {version!r}.startswith("slurm 22."):
    print("scontrol: unrecognized option '--json'", file=sys.stderr)
    sys.exit(1)
shown = args[args.index("show") + 1]
key = shown + (" --json" if "--json" in args else "")
if key not in answers:
    print("unexpected " + " ".join(args), file=sys.stderr)
    sys.exit(2)
print(answers[key])
"""
    return command(tmp_path, name, body)


def calls(tmp_path, name: str = "scontrol") -> list[list[str]]:
    path = tmp_path / f"{name}.calls"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() \
        else []


TEXT = {kind: (DATA / f"scontrol_{kind}.txt").read_text()
        for kind in ("node", "partition", "reservation")}


async def test_24_11_nodes_and_reservations_come_from_scontrols_json(tmp_path):
    json_answers = {
        "node --json": json.dumps(answers.answer(nodes=answers.NODES_2411) | {
            "meta": answers.meta(command=("show", "node"))}),
        "reservation --json": json.dumps({"reservations": answers.RESERVATIONS_2411,
                                          "meta": answers.meta(command=("show",))}),
        "partition": TEXT["partition"]}
    slurm = SlurmCLI(become="none", scontrol=scontrol(tmp_path, "slurm-wlm 24.11.5\n",
                                                      json_answers))
    nodes = {x.name: x for x in await slurm.nodes()}
    assert nodes["mc2"].state == "IDLE+DRAIN" and nodes["gpu1"].gpus == 2
    assert [r.name for r in await slurm.reservations()] == ["course", "later"]
    # partitions stay text: the JSON has no Default or Hidden
    parts = {p.name: p for p in await slurm.partitions()}
    assert parts["mc"].default
    assert calls(tmp_path) == [["--version"], ["--json", "show", "node"],
                               ["--json", "show", "reservation"],
                               ["show", "partition", "--oneliner"]]  # --version asked once


async def test_22_05_has_no_scontrol_json_its_text_is_read(tmp_path):
    slurm = SlurmCLI(become="none", scontrol=scontrol(tmp_path, "slurm 22.05.8\n", TEXT))
    assert {x.name for x in await slurm.nodes()} == {"gpu1", "mc1", "mc2"}
    assert {r.name for r in await slurm.reservations()} == {"course", "later"}
    assert not any("--json" in c for c in calls(tmp_path))
    assert await slurm.release() == (22, 5, 8)


async def test_json_in_a_dialect_not_checked_is_not_read(tmp_path):
    """A release that says 24.11 but writes another data parser: its text is read."""
    odd = {"node --json": json.dumps({"nodes": [{"name": "x", "state": 3}],
                                      "meta": answers.meta("v0.0.43")}),
           "node": TEXT["node"]}
    slurm = SlurmCLI(become="none", scontrol=scontrol(tmp_path, "slurm 24.11.0\n", odd))
    assert {x.name for x in await slurm.nodes()} == {"gpu1", "mc1", "mc2"}
    assert calls(tmp_path)[-1] == ["show", "node", "--oneliner"]


async def test_a_release_that_cannot_be_told_is_read_as_text_and_asked_again(tmp_path):
    slurm = SlurmCLI(become="none", scontrol=scontrol(tmp_path, "no version here", TEXT))
    await slurm.nodes()
    await slurm.nodes()
    assert [c for c in calls(tmp_path) if c == ["--version"]] == [["--version"]] * 2


async def test_24_11s_squeue_json_records(tmp_path):
    jobs = [answers.job_2411(11, "ws001", ["RUNNING"]),
            answers.job_2411(12, "ws002", ["COMPLETED", "COMPLETING"]),
            answers.job_2411(13, "ws002", ["COMPLETED"], name="x\n14|ws001|RUNNING"),
            answers.job_2411(15, "ws001", ["PENDING"], comment="\u2028")]
    out = {"jobs": jobs, "meta": answers.meta(command=("--json",)), "errors": [],
           "warnings": [], "last_backfill": answers.n(0), "last_update": answers.n(0)}
    squeue = command(tmp_path, "squeue", f"print({json.dumps(out)!r})")
    slurm = SlurmCLI(become="none", squeue=squeue)
    assert [(j.job_id, j.state) for j in await slurm.jobs_of(["ws001", "ws002"])] == [
        ("11", "RUNNING"), ("12", "COMPLETING"), ("15", "PENDING")]
    assert [j.job_id for j in await slurm.active_jobs()] == ["11", "15"]
    assert (await slurm.job("13")).name == "x\n14|ws001|RUNNING"
    d = await slurm.describe("11")
    assert d["JobState"] == "RUNNING" and d["TimeLimit"] == "01:00:00"
