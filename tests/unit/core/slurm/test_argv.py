"""Spec -> sbatch/squeue/scancel argv: every value is one element, hostile values never pass."""

import pytest

from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import SpecError
from funicular.core.slurm import sbatch_argv, scancel_argv


def job(**res):
    return BatchJob(name="funicular-default", resources=Resources(partition="mc", **res),
                    command=("ch-run", "--home", "/img", "--", "funicular-singleuser"),
                    workdir="/home/alice", output="/home/alice/.funicular/slurm-%j.log")


def test_sbatch_argv_minimal():
    argv = sbatch_argv(job(), "/opt/launch.sh")
    assert argv == [
        "sbatch", "--parsable", "--job-name=funicular-default", "--partition=mc", "--nodes=1",
        "--ntasks-per-node=1", "--cpus-per-task=1", "--time=60", "--chdir=/home/alice",
        "--output=/home/alice/.funicular/slurm-%j.log", "--no-requeue",
        "/opt/launch.sh", "ch-run", "--home", "/img", "--", "funicular-singleuser",
    ]


def test_sbatch_argv_all_resources():
    argv = sbatch_argv(job(nodes=2, cpus=4, memory_mb=2048, gpus=1, minutes=240,
                           account="physics", reservation="course", qos="normal"), "/l.sh")
    for opt in ("--nodes=2", "--cpus-per-task=4", "--mem=2048M", "--gres=gpu:1", "--time=240",
                "--account=physics", "--reservation=course", "--qos=normal"):
        assert opt in argv
    # options come before the script; the command after it, untouched
    assert argv.index("/l.sh") > max(argv.index(o) for o in ("--mem=2048M", "--qos=normal"))


def test_no_gpu_option_without_gpus():
    assert not any(a.startswith("--gres") for a in sbatch_argv(job(), "/l.sh"))


@pytest.mark.parametrize("field,value", [
    ("partition", "mc;rm -rf /"), ("partition", "--uid=0"), ("partition", ""),
    ("account", "phys ics"), ("reservation", "$(id)"), ("qos", "a\nb"),
    ("nodes", 0), ("nodes", "2"), ("cpus", -1), ("cpus", True), ("gpus", 65),
    ("minutes", 0), ("minutes", 10**9), ("memory_mb", 0),
])
def test_hostile_resources_refused(field, value):
    kwargs = {"partition": "mc", field: value}
    with pytest.raises(SpecError) as err:
        Resources(**kwargs)
    assert field in str(err.value)


@pytest.mark.parametrize("kwargs", [
    {"name": "x y"}, {"workdir": "relative"}, {"output": "/a/../etc/passwd"},
    {"command": ()}, {"warn_signal": "USR1@abc"}, {"comment": "a\nb"},
])
def test_bad_batch_job_refused(kwargs):
    base = {"name": "n", "resources": Resources(partition="mc"), "command": ("true",),
            "workdir": "/home/a", "output": "/home/a/o"}
    base.update(kwargs)
    with pytest.raises(SpecError):
        BatchJob(**base)


def test_warn_signal_and_extra():
    j = BatchJob(name="n", resources=Resources(partition="mc"), command=("true",),
                 workdir="/h", output="/h/o", warn_signal="USR1@300", extra=("--exclusive",))
    argv = sbatch_argv(j, "/l.sh")
    assert "--signal=B:USR1@300" in argv and "--exclusive" in argv


def test_scancel_argv():
    assert scancel_argv("12") == ["scancel", "12"]
    assert scancel_argv("12", signal="USR1") == ["scancel", "--signal=USR1", "12"]
    for bad in ("12;id", "-1", "", "\u0661\u0662", "\u00b9"):  # Arabic-Indic, superscript
        with pytest.raises(ValueError):
            scancel_argv(bad)
