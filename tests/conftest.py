import pathlib

import pytest

INTEGRATION_DIR = pathlib.Path(__file__).parent / "integration"
# The Slurm-facing part of the integration suite: spawn, status, restart, end reasons,
# follow-on jobs through the CLI, slurmrestd and UNICORE, MPI and the engines on the
# nodes, workshops. deploy/local/test runs it on the other Slurm release too.
SLURM_RELEASE_MODULES = {
    "test_spawn", "test_status", "test_restart", "test_job_end", "test_jobs",
    "test_jobs_backends", "test_rest_backend", "test_containers", "test_engines",
    "test_workshop",
}


def pytest_collection_modifyitems(items):
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if INTEGRATION_DIR in path.parents:
            item.add_marker(pytest.mark.integration)
            if path.stem in SLURM_RELEASE_MODULES:
                item.add_marker(pytest.mark.slurm_release)
