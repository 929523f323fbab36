"""Faults: a frozen slurmctld (SIGSTOP, not killed) during sbatch, squeue and scancel,
and a hub killed in the middle of a burst of starts. Every call must return within
its timeout, and afterwards no notebook job may be left that no server knows."""

import contextlib
import os
import signal
import time

import pytest

from .harness import Hub, env_path, job_state, notebook_jobs, slurmctld_pid, wait_for

pytestmark = pytest.mark.integration

PREFIX = "funifault"
TIMEOUT = 5  # slurm_timeout of this hub


@pytest.fixture(scope="module")
def fhub(cluster):
    h = Hub(name="fault-hub", port_offset=500, job_prefix=PREFIX, FUNICULAR_POLL_INTERVAL=5,
            FUNICULAR_STATUS_INTERVAL=3, FUNICULAR_SLURM_TIMEOUT=TIMEOUT,
            FUNICULAR_ORPHAN_SWEEP_INTERVAL=5, FUNICULAR_ORPHAN_GRACE=10,
            FUNICULAR_IDLE_TIMEOUT=0, FUNICULAR_NAMED_SERVER_LIMIT=0,
            FUNICULAR_CLUSTER_INFO_TTL=3)
    with h.running():
        yield h


@contextlib.contextmanager
def frozen_slurmctld():
    pid = slurmctld_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def untracked(hub: Hub) -> list[str]:
    """Active jobs of this hub that no server's state holds."""
    known = set()
    for u in hub.api("GET", "/users", params={"include_stopped_servers": "1"}).json():
        for s in u["servers"].values():
            known |= {str(v) for k, v in (s.get("state") or {}).items()
                      if k in ("job_id", "adopt_job_id") and v}
            known |= {str(e["job_id"]) for e in (s.get("state") or {}).get("pending_cancel", [])}
    return [j for user in ("alice", "bob", "mallory")
            for j, _ in notebook_jobs(user, PREFIX) if j not in known]


def no_jobs_left(hub: Hub, timeout: float = 90) -> None:
    wait_for(lambda: not any(notebook_jobs(u, PREFIX) for u in ("alice", "bob", "mallory")),
             timeout, "every job of the fault hub to end")


def test_frozen_during_squeue_servers_stay_and_the_hub_answers(fhub):
    fhub.spawn("bob")
    job = fhub.wait_ready("bob")["state"]["job_id"]
    with frozen_slurmctld():
        time.sleep(TIMEOUT * 3)  # several status rounds and polls time out
        started = time.monotonic()
        assert fhub.api("GET", "/users/bob").status_code == 200
        assert time.monotonic() - started < TIMEOUT
        assert fhub.server("bob")["ready"]
    time.sleep(8)
    assert job_state(job) == "RUNNING"
    assert fhub.server("bob")["ready"] and fhub.server("bob")["state"]["job_id"] == job
    assert fhub.server_get("bob", "funicular/api/info").status_code == 200
    fhub.stop_server("bob")
    no_jobs_left(fhub)


def test_frozen_during_sbatch_the_start_fails_in_time_and_no_job_is_lost(fhub):
    with frozen_slurmctld():
        started = time.monotonic()
        r = fhub.spawn("alice")
        # the hub answers; the start itself fails once sbatch has had its timeout
        wait_for(lambda: not (fhub.server("alice") or {}).get("pending"),
                 TIMEOUT * 6, "the start to give up")
        assert time.monotonic() - started < TIMEOUT * 6
        assert r.status_code in (202, 500), r.text
        assert fhub.api("GET", "/").status_code == 200  # the hub never blocked
    # slurmctld may still take the job sbatch sent before it was killed: the stop's
    # look-up or the orphan sweep (every 5 s, grace 10 s) must cancel it
    no_jobs_left(fhub)
    # and the user can start again
    fhub.spawn("alice")
    fhub.wait_ready("alice")
    fhub.stop_server("alice")
    no_jobs_left(fhub)


def test_frozen_during_scancel_the_job_is_kept_and_cancelled_later(fhub):
    fhub.spawn("mallory")
    job = fhub.wait_ready("mallory")["state"]["job_id"]
    mark = len((fhub.dir / "jupyterhub.log").read_text())
    with frozen_slurmctld():
        started = time.monotonic()
        r = fhub.stop_server("mallory")
        assert time.monotonic() - started < TIMEOUT * 4, "the stop outlived its timeouts"
        assert r.status_code in (202, 204), r.text
        wait_for(lambda: f"cannot cancel job {job}" in
                 (fhub.dir / "jupyterhub.log").read_text()[mark:], TIMEOUT * 4,
                 "the stop to say it keeps the job")
    # after the controller is back (it may still serve the scancel it had queued), the
    # retry makes sure the job is gone, then revokes its token and removes its env file
    wait_for(lambda: job_state(job) in (None, "CANCELLED", "COMPLETED"), 90,
             "the kept job to be cancelled")
    wait_for(lambda: f"job {job} cancelled after all" in
             (fhub.dir / "jupyterhub.log").read_text()[mark:], 60, "the retry to finish")
    assert not env_path("mallory").exists()
    no_jobs_left(fhub)
    assert not untracked(fhub)


def test_hub_killed_in_a_burst_of_ten_starts_loses_no_job(fhub):
    starts = [("alice", f"b{i}") for i in range(4)] + [("bob", f"b{i}") for i in range(3)] + \
        [("mallory", f"b{i}") for i in range(3)]
    for user, name in starts:
        r = fhub.spawn(user, name)
        assert r.status_code in (201, 202), r.text
    time.sleep(1.5)  # some sbatch calls answered, some under way, some not begun
    fhub.stop(signal.SIGKILL)
    fhub.start()
    # every job is re-attached (a server comes up with it) or cancelled by the sweep
    wait_for(lambda: not untracked(fhub), 120, "no untracked job of the fault hub")
    time.sleep(15)  # a sweep round past the grace, and re-attached spawns settling
    assert not untracked(fhub)
    active = [j for u in ("alice", "bob", "mallory") for j, _ in notebook_jobs(u, PREFIX)]
    # no server has two jobs
    per_server = {}
    for u in fhub.api("GET", "/users").json():
        for name, s in u["servers"].items():
            j = (s.get("state") or {}).get("job_id")
            if j:
                per_server.setdefault((u["name"], name), set()).add(j)
    assert len(active) == len(set(active))
    assert all(len(v) == 1 for v in per_server.values()), per_server
    fhub.stop_all_servers()
    no_jobs_left(fhub)
