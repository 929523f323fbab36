import os
import signal

import pytest

from .harness import REPO, Hub, cluster_running, notebook_jobs, run


@pytest.fixture(scope="session")
def cluster():
    """The cluster in a box. Started here if it is not up; then also stopped here."""
    if os.geteuid() != 0:
        pytest.fail("integration tests need root (they start Slurm daemons and act as users)")
    was_running = cluster_running()
    res = run(REPO / "deploy/local/up", "--no-hub", check=False, timeout=900)
    assert res.returncode == 0, f"deploy/local/up failed:\n{res.stdout}\n{res.stderr}"
    yield
    if not was_running:
        run(REPO / "deploy/local/down", timeout=300)


@pytest.fixture(scope="session")
def hub(cluster):
    # JupyterHub polls every 5 s here (30 in production) so that outages are exercised
    h = Hub(FUNICULAR_POLL_INTERVAL=5, FUNICULAR_STATUS_INTERVAL=5)
    h.prepare()
    h.start()
    yield h
    try:
        if h.proc is None:
            h.start()
        h.stop_all_servers()
    finally:
        h.stop(signal.SIGTERM)
        h.stop_proxy()


@pytest.fixture(autouse=True)
def no_servers_left(request):
    """After each test that used the hub: no server, and no job of ours, is left."""
    yield
    if "hub" not in request.fixturenames:
        return
    h = request.getfixturevalue("hub")
    if h.proc is None:
        h.start()
    h.stop_all_servers()
    for user in ("alice", "bob"):
        left = notebook_jobs(user)
        assert not left, f"jobs left behind for {user}: {left}"
