import os

import pytest

from .browsing import launch_chromium, screenshot_dir
from .harness import (
    BOX,
    JOB_PREFIX,
    REPO,
    REST_JOB_PREFIX,
    SSL_JOB_PREFIX,
    Hub,
    cluster_running,
    job_state,
    notebook_jobs,
    run,
    use_box_slurm,
    wait_for,
)


@pytest.fixture(scope="session")
def cluster():
    """The cluster in a box. Started here if it is not up; then also stopped here."""
    if os.geteuid() != 0:
        pytest.fail("integration tests need root (they start Slurm daemons and act as users)")
    was_running = cluster_running()
    # a workshop of 20 participants (ws001..ws020) for the workshop tests
    res = run(REPO / "deploy/local/up", "--no-hub", "--users", "20", check=False, timeout=900)
    assert res.returncode == 0, f"deploy/local/up failed:\n{res.stdout}\n{res.stderr}"
    use_box_slurm()  # FUNICULAR_SLURM may have switched the box to another release
    # a clean slate: no test job of an earlier, interrupted run may hold nodes or GPUs
    left = run("squeue", "-h", "-t", "PD,CF,R,S", "-o", "%i %j").stdout.split("\n")
    ours = (JOB_PREFIX, REST_JOB_PREFIX, SSL_JOB_PREFIX, "funiback", "funiplist", "blocker")
    stale = [line.split()[0] for line in left
             if line.split()[1:2] and line.split()[1].startswith(ours)]
    if stale:
        run("scancel", *stale)
        wait_for(lambda: not run("squeue", "-h", "-j", ",".join(stale), "-t", "PD,CF,R,CG,S",
                                 "-o", "%i", check=False).stdout.strip(), 60, "stale jobs to end")
    yield
    if not was_running:
        run(REPO / "deploy/local/down", timeout=300)


@pytest.fixture(scope="session")
def hub(cluster):
    # JupyterHub polls every 5 s here (30 in production) so that outages are exercised
    h = Hub(FUNICULAR_POLL_INTERVAL=5, FUNICULAR_STATUS_INTERVAL=5, FUNICULAR_TEST_PROFILES=1,
            FUNICULAR_WALLTIME_WARNING=90, FUNICULAR_CLUSTER_INFO_TTL=3,
            FUNICULAR_IDLE_TIMEOUT=0)
    arm = BOX / "images/test-arm64/ch"  # labels only: it must never get to run
    arm.mkdir(parents=True, exist_ok=True)
    (arm / "labels").write_text("org.opencontainers.image.title=arm64 test image\n"
                                "io.archspec.cpu.target=neoverse_v2\n")
    with h.running():
        yield h


@pytest.fixture(scope="module")
def browser(cluster):
    """Headless Chromium (tests/integration/browsing.py)."""
    yield from launch_chromium()


@pytest.fixture
def shots(tmp_path):
    """Where a test's screenshots go: docs/images with FUNICULAR_SCREENSHOTS=docs/images."""
    return screenshot_dir(tmp_path)


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
        try:  # stopping a server waits for Slurm; allow a job a moment to drain anyway
            wait_for(lambda u=user: not notebook_jobs(u), 15, f"{user}'s jobs to end")
        except AssertionError:
            pytest.fail(f"jobs left behind for {user}: {notebook_jobs(user)}")


@pytest.fixture
def gpu_blocker(cluster):
    """Occupy both GPUs of gpu1 so that a GPU notebook job has to queue."""
    job_id = run("sbatch", "--parsable", "-p", "gpu", "--gres=gpu:2", "-o", "/dev/null",
                 "-J", "blocker", "--wrap", "sleep 600").stdout.strip().split(";")[0]
    try:
        wait_for(lambda: job_state(job_id) == "RUNNING", 30, "the blocker to run")
        yield job_id
    finally:
        run("scancel", job_id, check=False)
