"""Follow-on job requests: strict parsing of untrusted JSON, and the batch job built
from a request and the site (argv by argv, for sbatch and slurmrestd)."""

import pytest

from funicular.core.containers.base import HELPERS_DIR
from funicular.core.errors import SpecError
from funicular.core.jobs import JobSite, SiteImage, array_tasks, batch_job, from_json
from funicular.core.slurm.argv import sbatch_argv
from funicular.core.slurm.rest import submit_body

SITE = JobSite(
    images={"sim": SiteImage("/apps/images/sim"),
            "sim-podman": SiteImage("localhost/site/sim:1", runtime="podman")},
    host_home="/users/alice", scratch={"target": "/tmp", "size_mb": 256},
    runtime_options={"podman": {"runtime": "runc", "helpers_dir": "/apps/funicular/libexec"}})
BASE = {"image": "sim", "command": ["python3", "run.py", "--steps", "$(rm -rf ~)"],
        "partition": "mc"}


@pytest.mark.parametrize("bad, field", [
    ({"image": "/etc/shadow"}, "image"),
    ({"command": "python3 run.py; rm -rf ~"}, "command"),
    ({"command": []}, "command"),
    ({"command": ["a\0b"]}, "command"),
    ({"partition": "mc --uid=0"}, "partition"),
    ({"nodes": 0}, "nodes"),
    ({"nodes": "2"}, "nodes"),
    ({"gpus": True}, "gpus"),
    ({"minutes": 10**9}, "minutes"),
    ({"mpi": "openmpi"}, "mpi"),
    ({"env": {"LD_PRELOAD\n": "x"}}, "env"),
    ({"env": {"SLURM_JOB_ID": "1"}}, "env"),
    ({"env": {"A": "line\nbreak"}}, "A"),
    ({"env": ["A=1"]}, "env"),
    ({"workdir": "relative"}, "workdir"),
    ({"workdir": "/home/alice/../bob"}, "workdir"),
    ({"array": "0-9;rm"}, "array"),
    ({"array": "9-0"}, "array"),
    ({"array": "0-99999"}, "array"),
    ({"array": "0-9%0"}, "array"),
    ({"after": ["12;34"]}, "after"),
    ({"account": "a b"}, "account"),
    ({"uid": 0}, "uid"),
])
def test_bad_requests_are_refused_naming_the_field(bad, field):
    with pytest.raises(SpecError) as e:
        from_json({**BASE, **bad})
    assert e.value.field == field, str(e.value)


def test_required_fields():
    for key in ("image", "command", "partition"):
        with pytest.raises(SpecError, match="is required") as e:
            from_json({k: val for k, val in BASE.items() if k != key})
        assert e.value.field == key
    with pytest.raises(SpecError):
        from_json(["not", "an", "object"])


def test_array_ranges():
    assert array_tasks("0-4") == [0, 1, 2, 3, 4]
    assert array_tasks("1,3,10-14:2%2") == [1, 3, 10, 12, 14]
    assert from_json({**BASE, "array": "0-99%10"}).array == "0-99%10"


def test_round_trip():
    req = from_json({**BASE, "env": {"OMP_NUM_THREADS": "4"}, "after": ["abc123def"]})
    assert from_json(req.to_json()) == req


def test_single_task_job_in_charliecloud():
    req = from_json({**BASE, "env": {"OMP_NUM_THREADS": "4"}, "minutes": 30, "gpus": 1,
                     "name": "sweep"})
    job = batch_job(req, SITE, job_id="j1a2b3c4", user="alice")
    host_dir = "/users/alice/funicular-jobs/j1a2b3c4"
    assert job.workdir == host_dir and job.output == f"{host_dir}/slurm-%j.log"
    assert job.comment == "funicular job j1a2b3c4" and job.name == "sweep"
    argv = list(job.command)
    assert argv[:2] == [f"{HELPERS_DIR}/ch-run-job.sh", "ch-run"]  # one task: no srun
    # the home as ch-run mounts it, the job's directory inside, the user's values
    # as single arguments, never parsed by a shell
    assert "--set-env=HOME=/home/alice" in argv
    assert "--set-env=FUNICULAR_JOB_DIR=/home/alice/funicular-jobs/j1a2b3c4" in argv
    assert "--cd=/home/alice/funicular-jobs/j1a2b3c4" in argv
    assert "--set-env=OMP_NUM_THREADS=4" in argv and "--private-tmp" in argv
    assert argv[-5:] == ["--", "python3", "run.py", "--steps", "$(rm -rf ~)"]
    sb = sbatch_argv(job, "/launch.sh")
    assert "--gres=gpu:1" in sb and "--time=30" in sb and "--ntasks-per-node=1" in sb
    assert sb[sb.index("/launch.sh") + 1:] == argv


def test_mpi_job_one_container_per_task_by_srun():
    req = from_json({**BASE, "nodes": 2, "tasks_per_node": 4, "mpi": "hybrid",
                     "after": ["abc123def"]})
    job = batch_job(req, SITE, job_id="j9", user="alice", after_ok=("41",))
    assert job.command[:4] == ("srun", "--mpi=pmix", f"{HELPERS_DIR}/ch-run-job.sh", "ch-run")
    sb = sbatch_argv(job, "/launch.sh")
    assert "--nodes=2" in sb and "--ntasks-per-node=4" in sb
    assert "--dependency=afterok:41" in sb
    body = submit_body(job, {})["job"]
    assert body["tasks_per_node"] == 4 and body["dependency"] == "afterok:41"
    assert body["nodes"] == "2"


def test_sweep_and_the_images_own_engine():
    req = from_json({**BASE, "image": "sim-podman", "array": "0-9%2"})
    job = batch_job(req, SITE, job_id="j5", user="alice")
    assert job.output.endswith("/slurm-%A_%a.log") and job.array == "0-9%2"
    assert job.command[:2] == ("/apps/funicular/libexec/podman-job.sh", "podman")
    assert "--runtime=runc" in job.command
    # Podman binds the home where it is on the nodes
    assert "--workdir=/users/alice/funicular-jobs/j5" in job.command
    assert "--array=0-9%2" in sbatch_argv(job, "/l")
    assert submit_body(job, {})["job"]["array"] == "0-9%2"


def test_unknown_image_names_the_catalog():
    with pytest.raises(SpecError, match="'other' is not in the catalog: sim, sim-podman"):
        batch_job(from_json({**BASE, "image": "other"}), SITE, job_id="j1", user="alice")


def test_site_travels_as_json_and_is_checked():
    assert JobSite.from_json(SITE.to_json()) == SITE
    with pytest.raises(SpecError):
        JobSite(images={}, host_home="/users/alice", jobs_dir="../elsewhere")
    with pytest.raises(SpecError):
        JobSite(images={"x": SiteImage("/i", runtime="docker")}, host_home="/h")
    default = JobSite(images={"sim": SiteImage("/i")}, host_home="/h", runtime="apptainer")
    job = batch_job(from_json(BASE), default, job_id="j1", user="alice")
    assert job.command[0] == f"{HELPERS_DIR}/envfilter.sh"

