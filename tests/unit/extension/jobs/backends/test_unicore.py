"""The UNICORE job description built from a BatchJob (pure), and what UNICORE cannot do
refused with the reason. The backend itself runs against the fake UNICORE server in
tests/integration/test_jobs_unicore.py."""

import pytest

from funicular.core.errors import SpecError
from funicular.core.jobs import JobSite, SiteImage, batch_job, from_json
from funicular.extension.jobs.backends.unicore import STATES, description

SITE = JobSite(images={"sim": SiteImage("/apps/sim")}, host_home="/users/alice",
               backend="unicore", unicore_url="https://unicore.example.org/SITE/rest/core")


def test_description_carries_the_container_command_and_resources():
    req = from_json({"image": "sim", "partition": "mc", "command": ["python3", "x.py", "$(id)"],
                     "nodes": 2, "tasks_per_node": 4, "gpus": 1, "minutes": 45,
                     "memory_mb": 2048, "account": "physics", "name": "sim"})
    job = batch_job(req, SITE, job_id="j1", user="alice")
    d = description(job, {"HOME": "/users/alice"})
    assert [d["Executable"], *d["Arguments"]] == list(job.command)
    assert d["Arguments"][-3:] == ["python3", "x.py", "$(id)"]
    assert d["Resources"] == {"Queue": "mc", "Nodes": 2, "CPUsPerTask": 1, "TasksPerNode": 4,
                              "Runtime": "45min", "Memory": "2048M", "GPUsPerNode": 1,
                              "Project": "physics"}
    assert d["Job type"] == "batch" and d["Stdout"] == "stdout" and d["Name"] == "sim"
    assert d["Environment"] == {"HOME": "/users/alice"}


def test_arrays_and_dependencies_are_refused_with_the_reason():
    base = {"image": "sim", "partition": "mc", "command": ["true"]}
    sweep = batch_job(from_json({**base, "array": "0-3"}), SITE, job_id="j1", user="alice")
    with pytest.raises(SpecError, match="array: the UNICORE backend runs neither"):
        description(sweep, {})
    after = batch_job(from_json(base), SITE, job_id="j2", user="alice", after_ok=("7",))
    with pytest.raises(SpecError, match="after:"):
        description(after, {})


def test_states_speak_slurm():
    assert STATES["QUEUED"] == "PENDING" and STATES["SUCCESSFUL"] == "COMPLETED"
    assert set(STATES) == {"UNDEFINED", "READY", "STAGINGIN", "QUEUED", "RUNNING",
                           "STAGINGOUT", "SUCCESSFUL", "FAILED"}
