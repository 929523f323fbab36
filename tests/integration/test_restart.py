"""A hub that dies and comes back keeps running servers and queued ones: no duplicates."""

import signal

import pytest

from .harness import job_state, notebook_jobs, run, wait_for


@pytest.mark.parametrize("unblock", ["after_restart", "while_hub_down"])
def test_hub_restart_keeps_running_and_pending_servers(hub, gpu_blocker, unblock):
    hub.spawn("alice")
    alice = hub.wait_ready("alice")
    alice_job = alice["state"]["job_id"]

    r = hub.spawn("bob", "gpu", {"profile": "gpu-1"})
    assert r.status_code == 202, r.text  # still starting: its job waits for a GPU

    def bob_job():
        s = hub.server("bob", "gpu")
        return (s or {}).get("state", {}).get("job_id")
    bob_job_id = wait_for(bob_job, 30, "bob's job id in the spawner state")
    wait_for(lambda: job_state(bob_job_id) == "PENDING", 30, "bob's job to queue")

    hub.stop(signal.SIGKILL)  # a crash: no cleanup at all
    if unblock == "while_hub_down":
        run("scancel", gpu_blocker)
        wait_for(lambda: job_state(bob_job_id) == "RUNNING", 60, "bob's job to start")
    hub.start()

    # the running server is still there, same job, reachable through the proxy
    after = hub.wait_ready("alice", timeout=30)
    assert after["state"]["job_id"] == alice_job
    assert hub.server_get("alice", "funicular/api/info").json()["slurm_job_id"] == alice_job

    if unblock == "after_restart":
        run("scancel", gpu_blocker)
    bob = hub.wait_ready("bob", "gpu", timeout=120)
    assert bob["state"]["job_id"] == bob_job_id  # adopted, not resubmitted
    assert notebook_jobs("bob") == [(bob_job_id, "RUNNING")]
    info = hub.server_get("bob", "funicular/api/info", name="gpu").json()
    assert info["slurm_job_id"] == bob_job_id and info["hostname"] == "gpu1"
    # the token of the queued server's first spawn was revoked: one server, one token
    tokens = hub.api("GET", "/users/bob/tokens").json()["api_tokens"]
    assert len([t for t in tokens if t["note"].startswith("Server at")]) == 1, tokens
    # a server re-attached after the restart still has its token revoked when it stops
    assert hub.stop_server("alice").status_code == 204
    tokens = hub.api("GET", "/users/alice/tokens").json()["api_tokens"]
    assert not [t for t in tokens if t["note"].startswith("Server at")], tokens
