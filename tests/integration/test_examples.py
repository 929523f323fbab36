"""The example notebooks of docs/examples run headless (nbclient's `jupyter execute`)
inside a spawned notebook server: its image, its node, its Slurm job and environment,
as a user's kernel there. They submit real jobs: MPI across mc1 and mc2, a GPU job on
gpu1, a sweep as a job array; each notebook asserts what it got."""

import pathlib
import shutil

import pytest

from .harness import REPO, run

EXAMPLES = sorted((REPO / "docs/examples").glob("*.ipynb"))


@pytest.fixture(scope="module")
def examples_dir():
    home = pathlib.Path(run("getent", "passwd", "alice").stdout.split(":")[5])
    target = home / "funicular-examples-test"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    for nb in EXAMPLES:
        shutil.copy(nb, target / nb.name)
    run("chown", "-R", "alice:alice", target)
    yield target
    shutil.rmtree(target, ignore_errors=True)


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {"mpi_simulation.ipynb", "gpu_job.ipynb",
                                          "parameter_sweep.ipynb"}


@pytest.mark.parametrize("notebook", [p.name for p in EXAMPLES])
def test_example_notebook_runs_in_a_notebook_server(hub, examples_dir, notebook):
    hub.spawn("alice")
    hub.wait_ready("alice")
    res = hub.in_server("alice", "jupyter", "execute", "--timeout=600", notebook,
                        cwd=str(examples_dir), timeout=900)
    assert res.returncode == 0, (res.stdout[-3000:], res.stderr[-5000:])
