"""Each dialect's shapes: the submissions Funicular writes are what slurmrestd's own
OpenAPI description of that version accepts, and the answers it reads (written after
those descriptions, or recorded on 22.05) become the same typed records."""

import json

import pytest

from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import SlurmError
from funicular.core.slurm import jobjson, shapes, shapes38, shapes40
from funicular.core.slurm.restscript import ARGV_PRELUDE

from .answers import (
    ASSOCIATIONS_2411,
    END,
    META_2205,
    NODES_2411,
    OPENAPI,
    PARTITIONS_2411,
    RECORDED_2205,
    RESERVATIONS_2411,
    START,
    UNSET,
    accounted_2205,
    accounted_2411,
    answer,
    job_2411,
    killed,
    meta,
    n,
)

jsonschema = pytest.importorskip("jsonschema")
MODERN = ("v0.0.40", "v0.0.41", "v0.0.42")


def schema(version: str, what: str) -> dict:
    return OPENAPI["schemas"][version][what]


def job(**kw) -> BatchJob:
    res = Resources(partition="gpu", nodes=2, cpus=2, memory_mb=4096, gpus=1, minutes=90,
                    account="physics", reservation="course", qos="high")
    return BatchJob(name="funicular-default", resources=res,
                    command=("ch-run", "--set-env=A=$(id)", "img", "--", "x=y\nz"),
                    workdir="/home/alice", output="/home/alice/slurm-%j.log",
                    warn_signal="USR1@300", comment="funicular x alice/", array="0-3%2",
                    after_ok=("41", "42"), tasks_per_node=4, requeue=True, **kw)


# ------------------------------------------------------------------ submissions
@pytest.mark.parametrize("version", MODERN)
def test_a_submission_is_what_the_versions_own_description_accepts(version):
    body = shapes.for_version(version).submit_body(job(), {"PATH": "/bin"}, "#!/bin/sh\n")
    jsonschema.validate(body, schema(version, "submit"))  # no field it does not have
    lean = BatchJob(name="n", resources=Resources(partition="mc"), command=("true",),
                    workdir="/w", output="/w/o")
    jsonschema.validate(shapes40.submit_body(lean, {}, "#!/bin/sh\n"),
                        schema(version, "submit"))


def test_a_22_05_submission_is_its_descriptions_but_for_the_node_count():
    body = shapes38.submit_body(job(), {"PATH": "/bin"}, "#!/bin/sh\n")
    # its description says [min, max], which 22.05.8 ignores (one node): a count it takes
    loose = json.loads(json.dumps(schema("v0.0.38", "submit")))
    loose["properties"]["job"]["properties"]["nodes"] = {"type": "string"}
    jsonschema.validate(body, loose)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, schema("v0.0.38", "submit"))


def test_the_data_parsers_submission_fields():
    d = shapes40.submit_body(job(), {"PATH": "/bin"}, "#!/bin/bash\ntrap '' USR1\n")["job"]
    assert (d["nodes"], d["tasks_per_node"], d["cpus_per_task"], d["tres_per_node"]) == \
        ("2", 4, 2, "gres/gpu:1")
    assert d["time_limit"] == n(90) and d["memory_per_node"] == n(4096)
    assert (d["account"], d["reservation"], d["qos"], d["array"], d["dependency"]) == \
        ("physics", "course", "high", "0-3%2", "afterok:41:42")
    # sbatch --signal=B:USR1@300 in the version's own fields
    assert (d["kill_warning_signal"], d["kill_warning_delay"], d["kill_warning_flags"]) == \
        ("USR1", n(300), ["BATCH_JOB"])
    assert d["script"] == ("#!/bin/bash\n#SBATCH --signal=B:USR1@300\n" + ARGV_PRELUDE +
                           "trap '' USR1\n")
    # NAME=value, split at the first "=": every argument arrives as it was
    env = dict(e.split("=", 1) for e in d["environment"])
    assert env["PATH"] == "/bin" and env["FUNICULAR_ARGC"] == "5"
    assert env["FUNICULAR_ARG_1"] == "--set-env=A=$(id)" and env["FUNICULAR_ARG_4"] == "x=y\nz"
    assert "argv" not in d and "$(id)" not in d["script"]


def test_22_05s_submission_fields():
    body = shapes38.submit_body(job(), {"PATH": "/bin"}, "#!/bin/sh\n")
    d = body["job"]
    assert (d["nodes"], d["time_limit"], d["memory_per_node"], d["gres"]) == \
        ("2", 90, 4096, "gpu:1")
    assert d["environment"]["FUNICULAR_ARG_4"] == "x=y\nz" and "argv" not in d
    assert body["script"].startswith("#!/bin/sh\n#SBATCH --signal=B:USR1@300\n")
    assert "kill_warning_signal" not in d  # 22.05 has no way to ask for B:


@pytest.mark.parametrize("module", [shapes38, shapes40])
def test_admin_sbatch_options_cannot_travel_through_slurmrestd(module):
    with pytest.raises(SlurmError, match="extra_sbatch_args"):
        module.submit_body(job(extra=("--exclusive",)), {}, "#!/bin/sh\n")


# ------------------------------------------------------------------ answers
@pytest.mark.parametrize("version", MODERN)
def test_the_24_11_answers_here_are_the_versions_own_shapes(version):
    """Every answer the tests feed the backends, checked against the description."""
    for what, records in [
        ("GET jobs", {"jobs": [job_2411(7, "alice"), job_2411(8, "bob", ["PENDING"])]}),
        ("GET partitions", {"partitions": PARTITIONS_2411}),
        ("GET nodes", {"nodes": NODES_2411}),
        ("GET reservations", {"reservations": RESERVATIONS_2411}),
        ("GET db:job/{job_id}", {"jobs": [accounted_2411()]}),
        ("GET db:associations", {"associations": ASSOCIATIONS_2411}),
        ("POST job/submit", {"job_id": 42, "step_id": "batch"}),
    ]:
        jsonschema.validate(answer(version, **records), schema(version, what))
    if version == "v0.0.42":
        jsonschema.validate(killed((7, 2017, "Invalid job id specified")),
                            schema(version, "DELETE job/{job_id}"))


def test_the_cluster_view_from_the_data_parsers():
    parts = {p.name: p for p in map(shapes40.partition, PARTITIONS_2411)}
    mc, gpu = parts["mc"], parts["gpu"]
    assert mc.up and (mc.max_minutes, mc.default_minutes, mc.max_nodes) == (1440, 60, None)
    assert mc.allow_accounts is None and mc.allow_groups is None and mc.deny_accounts == ()
    assert not gpu.up and (gpu.max_minutes, gpu.default_minutes, gpu.max_nodes) == \
        (None, None, 1)
    assert gpu.allow_accounts == ("physics", "chem") and gpu.deny_accounts == ("guests",)
    assert gpu.allow_groups == ("hpc",)
    for words in (["DRAIN"], ["INACTIVE"], []):  # only UP takes jobs
        assert not shapes40.partition({"name": "x", "partition": {"state": words}}).up
    # not in the data parsers' answers at all
    assert not any(p.default or p.hidden for p in parts.values())
    nodes = {x.name: x for x in map(shapes40.node, NODES_2411)}
    assert nodes["gpu1"].gpus == 2 and nodes["gpu1"].idle and nodes["gpu1"].memory_mb == 16000
    assert nodes["mc1"].state == "MIXED" and nodes["mc1"].cpus_alloc == 1
    assert nodes["mc1"].memory_alloc_mb == 256 and nodes["mc1"].usable
    assert nodes["mc2"].state == "IDLE+DRAIN" and not nodes["mc2"].usable
    course, later = (shapes40.reservation(r, now=START + 1) for r in RESERVATIONS_2411)
    assert course.active and course.nodes == ("mc2",) and course.users == ("alice",)
    assert course.partition is None and course.start == jobjson.iso(START)
    assert not later.active and later.partition == "mc"
    assert later.accounts == ("physics", "-guests") and later.end == jobjson.iso(END + 3600)
    assocs = [a for a in map(shapes40.association, ASSOCIATIONS_2411) if a]
    assert [(a.user, a.account, a.partition) for a in assocs] == [
        ("alice", "physics", None), ("bob", "physics", "gpu")]


def test_the_cluster_view_from_22_05s_recorded_answers():
    parts = {p.name: p for p in map(shapes38.partition, RECORDED_2205["partitions"])}
    assert parts["mc"].default and parts["mc"].up and parts["mc"].max_minutes == 1440
    assert parts["mc"].allow_accounts is None and parts["mc"].max_nodes is None
    nodes = {x.name: x for x in map(shapes38.node, RECORDED_2205["nodes"])}
    assert nodes["gpu1"].gpus == 2 and nodes["gpu1"].usable and nodes["mc1"].cpus == 8
    assert nodes["mc1"].state == "MIXED"
    resv = RECORDED_2205["reservations"][0]
    assert shapes38.reservation(resv, now=resv["start_time"]).active
    r = shapes38.reservation(resv, now=0)
    assert not r.active and r.nodes == ("mc2",) and r.users == ("alice",)
    assocs = [a for a in map(shapes38.association, RECORDED_2205["associations"]) if a]
    assert {(a.user, a.account) for a in assocs} == {
        ("alice", "workshop"), ("bob", "physics"), ("alice", "physics"), ("root", "root")}


@pytest.mark.parametrize("module, record", [(shapes38, accounted_2205),
                                            (shapes40, accounted_2411)])
def test_accounting_rows_in_both_dialects(module, record):
    row = module.accounting_record(record())
    assert row == {"JobID": "41", "State": "CANCELLED", "ExitCode": "0:9",
                   "Start": jobjson.iso(START), "End": jobjson.iso(END), "NodeList": "mc1"}


def test_accounting_rows_of_array_tasks_and_exit_codes():
    task = accounted_2411(45, array={"job_id": 44, "task_id": n(1), "task": "1"},
                          state={"current": ["FAILED"]},
                          exit_code={"status": ["ERROR"], "return_code": n(3),
                                     "signal": {"id": UNSET, "name": ""}})
    assert shapes40.accounting_record(task)["JobID"] == "44_1"
    assert shapes40.accounting_record(task)["ExitCode"] == "3:0"
    assert shapes40.accounting_record(task)["State"] == "FAILED"
    old = accounted_2205(45, array={"job_id": 44, "task_id": 1},
                         exit_code={"status": "FAILED", "return_code": 3})
    assert shapes38.accounting_record(old)["JobID"] == "44_1"
    assert shapes38.accounting_record(old)["ExitCode"] == "3:0"


def test_a_cancellation_that_failed_is_told_from_one_that_found_nothing_to_do():
    ok = (2017, 2021)
    assert shapes40.cancel_failures(killed((7, 0, "")), ok) == []
    assert shapes40.cancel_failures(killed((7, 2017, "Invalid job id specified"),
                                           (8, 2021, "Job already done")), ok) == []
    assert shapes40.cancel_failures(killed((7, 0, ""), (8, 2002, "Access denied")), ok) == \
        ["Access denied"]
    assert shapes40.cancel_failures(answer(), ok) == []  # v0.0.40/41: no status at all
    assert shapes38.cancel_failures({"status": [{"error": {"code": 1}}]}, ok) == []


def test_job_records_of_the_data_parsers_read_as_22_05s():
    j = job_2411(7, "alice", ["COMPLETED"],
                 exit_code={"status": ["SIGNALED"], "return_code": UNSET,
                            "signal": {"id": n(15), "name": "TERM"}})
    old = {**RECORDED_2205["job"], "job_state": "COMPLETED", "exit_code": 15}
    for record in (j, old):
        d = jobjson.describe_job(record)
        assert d["JobState"] == "COMPLETED" and d["ExitCode"] == "0:15"


def test_a_commands_json_is_read_in_the_dialect_its_meta_names():
    raw = json.dumps({"nodes": NODES_2411, "meta": meta("v0.0.42", ("show", "node"))})
    records, dialect = shapes.command_records(raw, "nodes")
    assert dialect is shapes.DATA_PARSERS and [r["name"] for r in records] == \
        ["gpu1", "mc1", "mc2"]
    for other in (meta("v0.0.43"), META_2205, {}):
        assert shapes.command_records(json.dumps({"nodes": [], "meta": other}), "nodes") \
            is None
    for bad in ("", "{", json.dumps({"nodes": 3}), json.dumps([])):
        with pytest.raises(SlurmError):
            shapes.command_records(bad, "nodes")


def test_only_known_versions_have_shapes():
    assert shapes.for_version("v0.0.38") is shapes.SLURM_22_05
    assert {shapes.for_version(v) for v in MODERN} == {shapes.DATA_PARSERS}
    with pytest.raises(SlurmError, match="v0.0.39"):
        shapes.for_version("v0.0.39")
