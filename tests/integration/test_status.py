"""Status polling: one squeue for all jobs; an unreachable controller loses no server."""

import asyncio
import os
import signal
import time

from funicular.core.slurm import JobStatusCache

from .harness import REPO, box_slurm_cli, job_state, run, slurmctld_pid, wait_for


def test_many_callers_share_one_squeue(cluster):
    ids = [run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "sleep 120")
           .stdout.strip() for _ in range(3)]
    try:
        async def scenario():
            cache = JobStatusCache(box_slurm_cli(become="none"), interval=600)
            for j in ids:
                cache.watch(j)
            infos = await asyncio.gather(*(cache.get(j, max_age=30) for j in ids * 20))
            first = cache.queries
            await asyncio.gather(*(cache.get(j, max_age=30) for j in ids))  # fresh: no query
            return infos, first, cache.queries
        infos, first, total = asyncio.run(scenario())
        assert first == 1 and total == 1
        assert {i.job_id for i in infos} == set(ids)
        assert all(i.state in ("PENDING", "RUNNING") for i in infos)
    finally:
        run("scancel", *ids)


def test_unknown_and_finished_jobs(cluster):
    done = run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "true")
    done = done.stdout.strip()
    wait_for(lambda: job_state(done) == "COMPLETED", 30, "the job to finish")

    async def scenario():
        cache = JobStatusCache(box_slurm_cli(become="none"))
        return await cache.get(done, max_age=0), await cache.get("999999", max_age=0)
    finished, unknown = asyncio.run(scenario())
    assert finished.state == "COMPLETED" and not finished.active
    assert unknown is None


def test_controller_down_for_30s_loses_no_server(hub):
    hub.spawn("alice")
    before = hub.wait_ready("alice")
    hub.spawn("bob", "gpu", {"profile": "gpu-1"})
    bob_before = hub.wait_ready("bob", "gpu")

    os.kill(slurmctld_pid(), signal.SIGTERM)
    wait_for(lambda: run("scontrol", "ping", check=False).stdout.count("DOWN") > 0, 30,
             "slurmctld to be down")
    try:
        deadline = time.monotonic() + 30  # six hub poll rounds (poll_interval=5 s)
        while time.monotonic() < deadline:
            assert hub.server_get("alice", "funicular/api/info").status_code == 200
            time.sleep(3)
    finally:
        run(REPO / "deploy/local/up", "--no-hub", timeout=300)
    time.sleep(6)  # one more poll round with the controller back
    assert hub.server("alice")["state"] == before["state"]
    assert hub.server("bob", "gpu")["state"] == bob_before["state"]
    assert hub.server("alice")["ready"] and hub.server("bob", "gpu")["ready"]
    assert hub.server_get("bob", "funicular/api/info", name="gpu").status_code == 200
    assert "cannot ask Slurm" in hub.log_tail(400)  # the outage was seen and survived


def test_a_job_submitted_after_the_last_query_is_not_reported_gone(cluster):
    """The cache was just filled; a new job must be looked up, not taken as finished."""
    async def scenario():
        cache = JobStatusCache(box_slurm_cli(become="none"), interval=600)
        old = run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "sleep 60")
        await cache.get(old.stdout.strip(), max_age=600)
        new = run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "sleep 60")
        info = await cache.get(new.stdout.strip(), max_age=600)
        run("scancel", old.stdout.strip(), new.stdout.strip())
        return info, cache.queries
    info, queries = asyncio.run(scenario())
    assert info is not None and info.state in ("PENDING", "RUNNING")
    assert queries == 2


def test_a_query_in_flight_does_not_hide_a_new_job(cluster):
    """A caller that joins a query started before its job existed still finds the job."""
    async def scenario():
        cache = JobStatusCache(box_slurm_cli(become="none"), interval=600)
        old = run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "sleep 60")
        cache.watch(old.stdout.strip())
        in_flight = asyncio.ensure_future(cache.refresh())  # asks about `old` only
        await asyncio.sleep(0)
        new = run("sbatch", "--parsable", "-p", "mc", "-o", "/dev/null", "--wrap", "sleep 60")
        info = await cache.get(new.stdout.strip(), max_age=600)
        await in_flight
        run("scancel", old.stdout.strip(), new.stdout.strip())
        return info
    info = asyncio.run(scenario())
    assert info is not None and info.state in ("PENDING", "RUNNING")
