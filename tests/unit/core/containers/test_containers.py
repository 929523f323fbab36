"""Container launch spec -> engine argv."""

import pytest

from funicular.core.containers import (
    Bind,
    ContainerLaunch,
    ContainerRuntime,
    available_runtimes,
    get_runtime,
    register,
)
from funicular.core.containers.base import HELPERS_DIR
from funicular.core.errors import SpecError


def test_charliecloud_argv():
    launch = ContainerLaunch(image="/images/nb", command=("funicular-singleuser", "--x"),
                             binds=(Bind("/scratch/alice", "/scratch"),),
                             workdir="/home/alice", env=(("HOME", "/home/alice"),))
    argv = get_runtime("charliecloud").argv(launch)
    # under the node helper that gives ch-run private storage and mount point
    assert argv[:2] == [f"{HELPERS_DIR}/ch-run-job.sh", "ch-run"] and "--home" in argv
    unset = [a for a in argv if a.startswith("--unset-env=")]
    assert unset == ["--unset-env=!(USER|LOGNAME|LANG|TZ|TERM|SLURM_*|SLURMD_NODENAME|"
                     "CUDA_VISIBLE_DEVICES|GPU_DEVICE_ORDINAL|ROCR_VISIBLE_DEVICES)"]
    # order matters to ch-run: unset first, then the image's environment, then ours
    assert argv.index(unset[0]) < argv.index("--set-env") < argv.index("--set-env=HOME=/home/alice")
    assert "--bind=/scratch/alice:/scratch" in argv and "--cd=/home/alice" in argv
    assert argv[-4:] == ["/images/nb", "--", "funicular-singleuser", "--x"]


def test_executable_override():
    argv = get_runtime("charliecloud", executable="/opt/ch/bin/ch-run").argv(
        ContainerLaunch(image="/i", command=("true",)))
    assert argv[1] == "/opt/ch/bin/ch-run"


@pytest.mark.parametrize("kwargs", [
    {"image": "../img"}, {"image": "img;rm -rf /"}, {"image": "-v"}, {"command": ()},
    {"env": (("BAD KEY", "x"),)}, {"mpi": "openmpi"}, {"mpi": "bind"},
    {"env": (("K", "line\nbreak"),)}, {"env_allow": ("PATH)|(*",)}, {"workdir": "x"},
])
def test_bad_launch_refused(kwargs):
    base = {"image": "/i", "command": ("true",)}
    base.update(kwargs)
    with pytest.raises((SpecError, ValueError)):
        ContainerLaunch(**base)


def test_bind_paths_checked():
    with pytest.raises(ValueError):
        Bind("/a:b", "/c")
    with pytest.raises(SpecError):
        Bind("rel", "/c")


def test_registry():
    assert "charliecloud" in available_runtimes()
    with pytest.raises(ValueError, match="unknown container runtime"):
        get_runtime("docker-in-docker")

    @register
    class Echo(ContainerRuntime):
        name = "echo-test"
        executable = "echo"

        def argv(self, launch):
            return [self.executable, launch.image]

    launch = ContainerLaunch(image="/i", command=("x",))
    assert get_runtime("echo-test").argv(launch) == ["echo", "/i"]
