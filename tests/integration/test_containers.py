"""Containers on the cluster in a box: MPI hybrid mode across two nodes, the image's
annotations against the host, and what environment reaches a container."""

import pytest
from traitlets.config.loader import PyFileConfigLoader

from funicular.core.containers import ContainerLaunch, Scratch, get_runtime
from funicular.core.images import check, collect, read_annotations

from .harness import BOX, REPO, run, slurm

MPI_IMAGE = BOX / "images/mpi"


@pytest.fixture(scope="module")
def mpi_image(cluster):
    """OpenMPI + mpi4py from Debian, built by its recipe (cached after the first time)."""
    res = run(REPO / "deploy/images/mpi/build", MPI_IMAGE, check=False, timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    return str(MPI_IMAGE)


def srun_as(user, *argv, env=None, nodes=1, extra=()):
    return run("sudo", "-n", "-u", user, "--preserve-env=PIP_INDEX_URL,VIRTUAL_ENV,FOO",
               slurm("srun"), "-p", "mc", f"-N{nodes}", "--ntasks-per-node=1", "-t", "2",
               "--mem=512", *extra, *argv, check=False, timeout=180, env=env, cwd="/tmp")


def box_runtime(name: str):
    """The engine with the options the box's hub gives it (deploy/local/jupyterhub_config.py)."""
    cfg = PyFileConfigLoader("jupyterhub_config.py", str(REPO / "deploy/local")) \
        .load_config().FunicularSpawner
    options = dict(cfg.container_runtime_options.get(name, {}))
    return get_runtime(name, helpers_dir=cfg.node_helpers_dir, **options)


def test_mpi_hybrid_hello_world_on_two_nodes(mpi_image):
    """One container per rank, ranks wired up by srun's PMIx: a collective across
    mc1 and mc2 (each rank prints the sum 1 + 2)."""
    launch = ContainerLaunch(image=mpi_image, command=("python3", "/opt/hello/hello.py"),
                             mpi="hybrid", workdir="/tmp")
    # the node helpers where the nodes see them, as the box's hub has them
    res = srun_as("alice", *box_runtime("charliecloud").argv(launch), nodes=2,
                  extra=("--mpi=pmix",))
    assert res.returncode == 0, res.stderr[-2000:]
    lines = sorted(res.stdout.split("\n")[:-1])
    assert lines == ["rank 0 of 2 on mc1 sum 3", "rank 1 of 2 on mc2 sum 3"], res.stdout
    assert "PMIX ERROR" not in res.stderr


def test_mpi_image_annotations_against_this_host(mpi_image):
    ann = read_annotations(mpi_image)
    assert ann["org.supercontainers.mpi.implementation"] == "openmpi"
    host = collect()
    assert check(ann, host, mpi_mode="hybrid") == []  # srun here speaks pmix
    (problem,) = check(ann, host, mpi_mode="bind", where="partition mc")
    assert str(problem) == "bind mode needs a host MPI, and partition mc has none"


ENGINES = {
    "charliecloud": (box_runtime("charliecloud"), str(BOX / "images/notebook")),
    "podman": (box_runtime("podman"), "localhost/funicular/notebook:latest"),
}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_only_the_allow_list_and_the_image_environment_reach_the_container(cluster, engine):
    runtime, image = ENGINES[engine]
    launch = ContainerLaunch(image=image, command=("sh", "-c", "env; stat -f -c FS=%T /tmp"),
                             workdir="/tmp", env=(("OURS", "$NOT_EXPANDED"),),
                             scratch=Scratch("/tmp", 64), home="/home/alice", user="alice",
                             mount_home=False)
    polluted = {"PATH": "/opt/evil/bin:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                "PIP_INDEX_URL": "file:///opt/wheels", "VIRTUAL_ENV": "/hub/venv",
                "FOO": "bar"}
    # outside a container the job step gets all of it: the container is what filters
    bare = srun_as("alice", "/usr/bin/env", env=polluted)
    assert "VIRTUAL_ENV=/hub/venv" in bare.stdout and "FOO=bar" in bare.stdout, bare.stderr
    res = srun_as("alice", *runtime.argv(launch), env=polluted)
    assert res.returncode == 0, res.stderr[-2000:]
    env = dict(line.split("=", 1) for line in res.stdout.splitlines() if "=" in line)
    assert not {"PIP_INDEX_URL", "VIRTUAL_ENV", "FOO"} & set(env), env
    assert env["PATH"].startswith("/opt/jupyter/bin:")  # the image's, not the host's
    assert "/opt/evil" not in env["PATH"]
    assert env["OURS"] == "$NOT_EXPANDED" and env["USER"] == "alice"
    assert env["SLURM_JOB_ID"].isdigit()
    assert env["FS"] == "tmpfs"  # the volatile scratch, from inside the container
