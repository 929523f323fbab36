"""Users are told why a server ended; queue limits and orphans are handled."""

import time

from .harness import job_state, notebook_jobs, run, slurm, wait_for


def _stopped(hub, user, name=""):
    return lambda: hub.server(user, name) is None


def test_admin_scancel_is_explained_on_the_next_visit(hub):
    hub.spawn("alice")
    job_id = hub.wait_ready("alice")["state"]["job_id"]
    run("scancel", job_id)  # as root: an administrator
    wait_for(_stopped(hub, "alice"), 30, "the hub to notice the job ended")
    s = hub.login("alice")
    home = s.get(hub.url + "hub/home", timeout=30).text
    assert f"Slurm job {job_id}" in home and "cancelled by an administrator (uid 0)" in home
    assert "CANCELLED AT" in home  # the end of the job log, from slurmstepd
    form = s.get(hub.url + "hub/spawn", timeout=30).text
    assert "cancelled by an administrator" in form and 'name="profile"' in form
    # the next start clears the message
    hub.spawn("alice")
    hub.wait_ready("alice")
    assert "cancelled by an administrator" not in s.get(hub.url + "hub/home", timeout=30).text


def test_walltime_warning_then_expiry(hub):
    hub.spawn("bob", "short", {"profile": "two-minutes"})
    server = hub.wait_ready("bob", "short")
    job_id = server["state"]["job_id"]
    info = hub.server_get("bob", "funicular/api/info", name="short").json()
    assert 0 < info["remaining_seconds"] <= 120
    assert abs(info["job_end_time"] - time.time() - info["remaining_seconds"]) < 5
    # Slurm warns when 90 s are left (--signal=B:USR1@90), or up to 60 s earlier (its
    # event resolution, says sbatch(1)): in a two-minute job it may have come already
    if info["walltime_warning_at"] is not None:
        assert info["walltime_warning_at"] >= info["job_end_time"] - 90 - 60 - 1
    home = hub.login("bob").get(hub.url + "hub/home", timeout=30).text
    assert f"Slurm job {job_id}" in home and "ends at" in home and " min left)" in home

    # Slurm's own delivery to the batch step, as --signal=B:USR1@90 does (when exactly it
    # fires depends on slurmctld's timer, too coarse to wait for in a test)
    run("scancel", "--batch", "--signal=USR1", job_id)

    def warned():
        r = hub.server_get("bob", "funicular/api/info", name="short")
        return r.status_code == 200 and r.json()["walltime_warning_at"]
    wait_for(warned, 20, "the walltime warning to reach the server", interval=0.5)

    # slurmctld enforces limits on a timer of its own: up to ~30-60 s late
    wait_for(_stopped(hub, "bob", "short"), 210, "the time limit to end the job", interval=2)
    assert job_state(job_id) == "TIMEOUT"
    home = hub.login("bob").get(hub.url + "hub/home", timeout=30).text
    assert "reached its time limit of 00:02:00" in home
    assert "DUE TO TIME LIMIT" in home  # slurmstepd's line at the end of the job log


def test_job_queued_too_long_is_cancelled_with_a_message(hub, gpu_blocker):
    hub.stop()
    hub.extra_env["FUNICULAR_MAX_QUEUE_TIME"] = "5"
    hub.start()
    try:
        # within JupyterHub's 10 s slow-spawn window the REST caller gets the reason itself
        r = hub.spawn("bob", "gpu", {"profile": "gpu-1"})
        assert r.status_code == 503, r.text
        assert "waited in the queue for more than 5 s (Resources)" in r.json()["message"]
        wait_for(_stopped(hub, "bob", "gpu"), 30, "the spawn to be given up")
        assert notebook_jobs("bob") == []
    finally:
        hub.stop()
        del hub.extra_env["FUNICULAR_MAX_QUEUE_TIME"]
        hub.start()


def test_idle_culler_stops_idle_servers_and_frees_the_allocation(hub):
    """jupyterhub-idle-culler, run by the hub as a service, stops a server nobody used
    for 20 s; stopping it cancels the job."""
    hub.stop()
    hub.extra_env["FUNICULAR_IDLE_TIMEOUT"] = "20"
    hub.start()
    try:
        hub.spawn("alice")
        job_id = hub.wait_ready("alice")["state"]["job_id"]
        assert job_state(job_id) == "RUNNING"
        wait_for(_stopped(hub, "alice"), 120, "the culler to stop the idle server",
                 interval=1)
        wait_for(lambda: job_state(job_id) in ("CANCELLED", "COMPLETED"), 30,
                 "the allocation to be released")
        assert notebook_jobs("alice") == []
        assert "Culling server alice" in hub.log_tail(300)  # it was the culler
    finally:
        hub.stop()
        hub.extra_env["FUNICULAR_IDLE_TIMEOUT"] = "0"
        hub.start()


def test_orphaned_job_is_cancelled_at_startup(hub):
    """A job with this hub's marker that no server knows (a crash between sbatch and
    saving the job id) is cancelled when the hub comes back."""
    orphan = run("sudo", "-n", "-u", "alice", slurm("sbatch"), "--parsable", "-p", "mc",
                 "-J", "funitest-default", "--comment=funicular funitest alice/",
                 "-o", "/dev/null", "--wrap", "sleep 600").stdout.strip()
    foreign = run("sudo", "-n", "-u", "alice", slurm("sbatch"), "--parsable", "-p", "mc",
                  "-J", "funitest-default", "--comment=funicular other-hub alice/",
                  "-o", "/dev/null", "--wrap", "sleep 600").stdout.strip()
    try:
        wait_for(lambda: job_state(orphan) == "RUNNING", 30, "the orphan to run")
        time.sleep(1)  # submitted strictly before the hub process starts
        hub.stop()
        hub.start()
        hub.spawn("bob")  # the first spawner of the new hub process sweeps
        hub.wait_ready("bob")
        wait_for(lambda: job_state(orphan) == "CANCELLED", 30, "the orphan to be cancelled")
        assert job_state(foreign) in ("RUNNING", "PENDING")  # not ours: left alone
        assert notebook_jobs("bob") == [(hub.server("bob")["state"]["job_id"], "RUNNING")]
    finally:
        run("scancel", orphan, foreign, check=False)
