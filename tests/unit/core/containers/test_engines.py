"""Every engine's argv for the same launch, argv by argv (the engines not installable
here are built from their documented CLIs), and what reaches an engine's process."""

import os
import subprocess
import sys

import pytest

from funicular.core.cli import main as funicular
from funicular.core.containers import (
    ENGINES,
    Bind,
    ContainerLaunch,
    Scratch,
    available_runtimes,
    get_runtime,
)
from funicular.core.containers.base import ENVFILTER, HELPERS_DIR, NODE_HELPERS
from funicular.core.errors import SpecError

ALLOW = ("USER", "LANG", "SLURM_*")
MPI_ALLOW = (*ALLOW, "PMIX_*", "PMI_*", "OMPI_*", "MPICH_*", "I_MPI_*")  # any MPI mode
FULL = ContainerLaunch(
    image="/images/nb", command=("python3", "-c", "print(1)"),
    binds=(Bind("/scratch/alice", "/scratch"),), env=(("A", "1,2"), ("B", "$HOME")),
    env_allow=ALLOW, workdir="/home/alice", home="/home/alice", gpus=True, mpi="bind",
    mpi_binds=(Bind("/opt/cray/mpich", "/opt/host-mpi"),),
    mpi_env=(("LD_LIBRARY_PATH", "/opt/host-mpi/lib"),),
    scratch=Scratch("/scratch-local", 512, "/dev/shm/job1"))
TAIL = ["python3", "-c", "print(1)"]
PODMAN_JOB = f"{HELPERS_DIR}/podman-job.sh"


def test_all_engines_registered():
    assert {"apptainer", "charliecloud", "enroot", "podman", "sarus", "shifter",
            "singularity"} <= set(available_runtimes())
    for name in available_runtimes():  # each entry names the class of that name
        assert ENGINES.get(name).name == name


def test_engines_are_imported_when_asked_for():
    """Naming the engines imports none of them: a hub loads only the one it runs."""
    code = ("import sys; from funicular.core.containers import available_runtimes, "
            "known_runtime; known_runtime('x', 'podman'); available_runtimes(); "
            "print([m for m in sys.modules if m.startswith('funicular.core.containers.')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['funicular.core.containers.base']"


def test_charliecloud():
    assert get_runtime("charliecloud").argv(FULL) == [
        f"{HELPERS_DIR}/ch-run-job.sh", "ch-run", "--home",
        f"--unset-env=!({'|'.join(MPI_ALLOW)})", "--set-env",
        "--env-no-expand", "--set-env=A=1,2", "--set-env=B=$HOME",
        "--set-env=PMIX_MCA_gds=hash", "--set-env=LD_LIBRARY_PATH=/opt/host-mpi/lib",
        "--bind=/scratch/alice:/scratch", "--bind=/opt/cray/mpich:/opt/host-mpi",
        "--bind=/dev/shm/job1:/scratch-local", "--cd=/home/alice", "/images/nb", "--", *TAIL]


def test_podman():
    assert get_runtime("podman", runtime="runc").argv(FULL) == [
        PODMAN_JOB, "podman", "run", "--rm", "--init", "--network=host", "--uts=host",
        "--log-driver=passthrough", "--userns=keep-id",
        "--runtime=runc", *(f"--env={p}" for p in MPI_ALLOW), "--env=A=1,2",
        "--env=B=$HOME", "--env=PMIX_MCA_gds=hash", "--env=LD_LIBRARY_PATH=/opt/host-mpi/lib",
        "--volume=/home/alice:/home/alice", "--env=HOME=/home/alice",
        "--volume=/scratch/alice:/scratch", "--volume=/opt/cray/mpich:/opt/host-mpi",
        "--tmpfs=/scratch-local:rw,size=512m,mode=1777", "--device=nvidia.com/gpu=all",
        "--workdir=/home/alice", "/images/nb", *TAIL]


def test_podman_shared_image_store():
    argv = get_runtime("podman", image_stores=("/srv/podman-store",)).argv(
        ContainerLaunch(image="localhost/nb", command=("true",), env_allow=()))
    assert argv[:4] == [PODMAN_JOB, "podman",
                        "--storage-opt=additionalimagestore=/srv/podman-store", "run"]


def test_podman_per_user_store_on_the_node():
    """The box's setup: a root-owned shared store read through fuse-overlayfs, the
    user's writable layers in a node-local directory named after them."""
    podman = get_runtime("podman", image_stores=["/srv/store"], storage_driver="overlay",
                         mount_program="/usr/bin/fuse-overlayfs",
                         storage_root="/tmp/podman-{user}")
    launch = ContainerLaunch(image="localhost/nb:latest", command=("true",), user="alice",
                             home="/home/alice")
    assert podman.argv(launch)[:7] == [
        PODMAN_JOB, "podman", "--root=/tmp/podman-alice", "--storage-driver=overlay",
        "--storage-opt=additionalimagestore=/srv/store",
        "--storage-opt=overlay.mount_program=/usr/bin/fuse-overlayfs", "run"]
    in_home = get_runtime("podman", storage_root="{home}/.podman").argv(launch)
    assert in_home[2] == "--root=/home/alice/.podman"
    as_root = get_runtime("podman", rootless=False).argv(launch)
    assert as_root[:2] == ["podman", "run"] and "--userns=keep-id" not in as_root
    with pytest.raises(SpecError, match="needs the launch's user"):
        podman.argv(ContainerLaunch(image="localhost/nb", command=("true",)))
    with pytest.raises(SpecError):
        ContainerLaunch(image="localhost/nb", command=("true",), user="../root")


@pytest.mark.parametrize("engine", ["podman", "apptainer", "sarus", "shifter", "enroot"])
def test_node_helpers_from_the_directory_the_nodes_see(engine):
    """Helper scripts run on the nodes: their path is the configured directory's, and
    without one this installation's, where every helper exists."""
    launch = ContainerLaunch(image="/i", command=("true",), env_allow=ALLOW)
    helper = get_runtime(engine, helpers_dir="/apps/funicular/libexec").argv(launch)[0]
    default = get_runtime(engine).argv(launch)[0]
    name = os.path.basename(default)
    assert name in NODE_HELPERS and os.access(default, os.X_OK)
    assert helper == f"/apps/funicular/libexec/{name}"
    with pytest.raises(SpecError):
        get_runtime(engine, helpers_dir="relative/dir")


def test_charliecloud_scratch_at_tmp_is_its_private_tmpfs():
    launch = ContainerLaunch(image="/images/nb", command=("true",), scratch=Scratch("/tmp"))
    argv = get_runtime("charliecloud").argv(launch)
    assert "--private-tmp" in argv and not any(a.startswith("--bind") for a in argv)
    with pytest.raises(SpecError, match="RAM-backed source"):
        get_runtime("charliecloud").argv(
            ContainerLaunch(image="/images/nb", command=("true",), scratch=Scratch("/fast")))


def test_apptainer_and_singularity():
    argv = get_runtime("apptainer").argv(FULL)
    assert argv == [
        ENVFILTER, *MPI_ALLOW, "--", "env", "APPTAINERENV_A=1,2", "APPTAINERENV_B=$HOME",
        "APPTAINERENV_PMIX_MCA_gds=hash", "APPTAINERENV_LD_LIBRARY_PATH=/opt/host-mpi/lib",
        "apptainer", "exec", "--nv",
        "--bind=/scratch/alice:/scratch,/opt/cray/mpich:/opt/host-mpi",
        "--scratch=/scratch-local", "--workdir=/dev/shm/job1", "--pwd=/home/alice",
        "/images/nb", *TAIL]
    sing = get_runtime("singularity").argv(FULL)
    assert "singularity" in sing and "SINGULARITYENV_A=1,2" in sing
    bare = get_runtime("apptainer").argv(ContainerLaunch(
        image="/i.sif", command=("true",), env_allow=ALLOW, mount_home=False,
        scratch=Scratch()))
    assert bare == [ENVFILTER, *ALLOW, "--", "apptainer", "exec", "--no-home",
                    "--writable-tmpfs", "/i.sif", "true"]


def test_sarus():
    assert get_runtime("sarus").argv(FULL) == [
        ENVFILTER, *MPI_ALLOW, "--", "sarus", "run", "--mpi",
        "--mount=type=bind,source=/home/alice,destination=/home/alice",
        "--mount=type=bind,source=/scratch/alice,destination=/scratch",
        "--mount=type=bind,source=/dev/shm/job1,destination=/scratch-local",
        "--env=A=1,2", "--env=B=$HOME", "--env=PMIX_MCA_gds=hash",
        "--env=LD_LIBRARY_PATH=/opt/host-mpi/lib", "--workdir=/home/alice", "/images/nb", *TAIL]


def test_shifter():
    assert get_runtime("shifter").argv(FULL) == [
        ENVFILTER, *MPI_ALLOW, "--", "shifter", "--image=/images/nb", "--module=gpu,mpich",
        "--volume=/scratch/alice:/scratch",
        "--volume=/dev/shm/job1:/scratch-local:perNodeCache=size=512M",
        "--env=A=1,2", "--env=B=$HOME", "--env=PMIX_MCA_gds=hash",
        "--env=LD_LIBRARY_PATH=/opt/host-mpi/lib", "--workdir=/home/alice", "--", *TAIL]


def test_enroot_through_pyxis():
    hybrid = ContainerLaunch(image="nvcr.io/nvidia/pytorch:24.05-py3", command=("true",),
                             env_allow=ALLOW, env=(("A", "1"),), mpi="hybrid",
                             workdir="/work", scratch=Scratch())
    assert get_runtime("enroot").argv(hybrid) == [
        ENVFILTER, *MPI_ALLOW, "--", "env", "A=1", "PMIX_MCA_gds=hash", "srun",
        "--container-image=nvcr.io/nvidia/pytorch:24.05-py3", "--container-mount-home",
        "--container-writable", "--container-workdir=/work", "--container-env=A,PMIX_MCA_gds",
        "--mpi=pmix", "true"]


@pytest.mark.parametrize("engine", ["charliecloud", "sarus"])
def test_scratch_without_a_source_is_refused_where_the_engine_cannot_make_one(engine):
    launch = ContainerLaunch(image="/i", command=("true",), scratch=Scratch())
    with pytest.raises(SpecError, match="cannot create a tmpfs"):
        get_runtime(engine).argv(launch)


@pytest.mark.parametrize("engine", ["apptainer", "singularity", "sarus", "shifter", "enroot"])
def test_only_the_allow_list_reaches_engines_that_pass_the_host_environment(engine, tmp_path):
    """Run the real argv with a fake engine executable that prints what it got."""
    fake = tmp_path / "engine"
    fake.write_text('#!/bin/sh\nenv | sort > "$0.env"\nprintf "%s\\n" "$@" > "$0.args"\n')
    fake.chmod(0o755)
    launch = ContainerLaunch(image="/i", command=("true", "$(id)"), env_allow=ALLOW,
                             env=(("OURS", "x,y"),))
    argv = get_runtime(engine, executable=str(fake)).argv(launch)
    assert argv[0] == ENVFILTER
    polluted = {"PATH": "/usr/bin:/bin", "USER": "alice", "SLURM_JOB_ID": "7",
                "PIP_INDEX_URL": "file:///x", "VIRTUAL_ENV": "/hub/venv", "HOME": "/root",
                "JUPYTERHUB_API_TOKEN": "secret"}
    subprocess.run(argv, env=polluted, check=True, timeout=10)
    seen = dict(line.split("=", 1) for line in (tmp_path / "engine.env").read_text().split("\n")
                if "=" in line)
    leaked = set(seen) - {"USER", "SLURM_JOB_ID", "PWD", "OURS", "APPTAINERENV_OURS",
                          "SINGULARITYENV_OURS"}
    assert not leaked, leaked
    assert "$(id)" in (tmp_path / "engine.args").read_text().split("\n")
    assert os.path.basename(ENVFILTER) == "envfilter.sh"


def test_node_helpers_installed_where_the_nodes_look(tmp_path):
    """`funicular node-helpers DIR` puts every helper there, executable and current."""
    (tmp_path / "envfilter.sh").write_text("old version")
    assert funicular(["node-helpers", str(tmp_path)]) == 0
    for name in NODE_HELPERS:
        installed = tmp_path / name
        assert installed.read_bytes() == open(f"{HELPERS_DIR}/{name}", "rb").read()
        assert installed.stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NODE_HELPERS)


def test_charliecloud_with_the_sites_user_database():
    """Binding /etc/passwd replaces ch-run's own two-line one (--no-passwd)."""
    launch = ContainerLaunch(image="/images/nb", command=("true",),
                             binds=(Bind("/etc/passwd", "/etc/passwd"),
                                    Bind("/etc/group", "/etc/group")))
    argv = get_runtime("charliecloud").argv(launch)
    assert argv.index("--no-passwd") < argv.index("--bind=/etc/passwd:/etc/passwd")
    assert "--no-passwd" not in get_runtime("charliecloud").argv(
        ContainerLaunch(image="/images/nb", command=("true",)))
