"""The same spawner on slurmrestd (JWT) instead of the Slurm CLI, on the real cluster."""

import time

import pytest

from .harness import (
    BOX,
    REST_JOB_PREFIX,
    Hub,
    job_state,
    notebook_jobs,
    rest_version,
    run,
    wait_for,
)

RESTD_LOG = BOX / "slurm/log/slurmrestd.log"


@pytest.fixture(scope="module")
def rest_hub(cluster):
    h = Hub(name="test-hub-rest", port_offset=100, job_prefix=REST_JOB_PREFIX,
            FUNICULAR_SLURM_BACKEND="rest", FUNICULAR_POLL_INTERVAL=5,
            FUNICULAR_STATUS_INTERVAL=5, FUNICULAR_TEST_PROFILES=1,
            FUNICULAR_WALLTIME_WARNING=90, FUNICULAR_CLUSTER_INFO_TTL=3,
            FUNICULAR_IDLE_TIMEOUT=0)
    with h.running():
        yield h


@pytest.fixture(autouse=True)
def clean(rest_hub):
    yield
    rest_hub.stop_all_servers()
    for user in ("alice", "bob", "jane.doe"):
        wait_for(lambda u=user: not notebook_jobs(u, REST_JOB_PREFIX), 15, "jobs to end")


def restd_requests(what: str) -> int:
    return RESTD_LOG.read_text(errors="replace").count(what)


def test_spawn_status_and_stop_through_slurmrestd(rest_hub):
    version = rest_version()
    submit, delete = f"POST /slurm/{version}/job/submit", f"DELETE /slurm/{version}/job/"
    submits = restd_requests(submit)
    r = rest_hub.spawn("alice", "g", {"profile": "mc-small", "partition": "gpu", "gpus": 1,
                                      "cpus": 2, "account": "physics", "minutes": 30})
    assert r.status_code in (201, 202), r.text
    job_id = rest_hub.wait_ready("alice", "g")["state"]["job_id"]
    assert restd_requests(submit) == submits + 1
    out = run("squeue", "-h", "-j", job_id, "-o", "%u|%P|%a|%C|%l|%b|%N|%j").stdout.strip()
    # 22.05 says gres:gpu:1, 24.11 gres/gpu:1
    assert out.replace("gres/", "gres:") == \
        f"alice|gpu|physics|2|30:00|gres:gpu:1|gpu1|{REST_JOB_PREFIX}-named-g"
    info = rest_hub.server_get("alice", "funicular/api/info", name="g").json()
    assert info["user"] == "alice" and info["cuda_visible_devices"] in ("0", "1")
    assert info["in_container"] and info["job_end_time"] > time.time()

    deletes = restd_requests(delete)
    assert rest_hub.stop_server("alice", "g").status_code in (202, 204)
    wait_for(lambda: rest_hub.server("alice", "g") is None, 60, "the server to stop")
    assert job_state(job_id) == "CANCELLED"
    assert restd_requests(delete) == deletes + 1


def test_form_and_validation_use_the_rest_view_of_the_cluster(rest_hub):
    s = rest_hub.login("bob")
    page = s.get(rest_hub.url + "hub/spawn", timeout=30).text
    assert "<td>gpu</td>" in page and '<option value="physics">' in page
    assert '<option value="workshop">' not in page  # alice's account, not bob's
    r = rest_hub.spawn("bob", "x", {"account": "workshop"})
    assert r.status_code == 400 and "not one of your Slurm accounts" in r.json()["message"]
    assert notebook_jobs("bob", REST_JOB_PREFIX) == []


def test_admin_cancel_is_explained_and_walltime_warning_arrives(rest_hub):
    rest_hub.spawn("bob", "short", {"profile": "two-minutes"})
    job_id = rest_hub.wait_ready("bob", "short")["state"]["job_id"]

    # no batch-shell signal through slurmrestd: the extension's timer warns 90 s
    # before the end (here ~30 s after the start)
    def warned():
        r = rest_hub.server_get("bob", "funicular/api/info", name="short")
        return r.status_code == 200 and r.json()["walltime_warning_at"]
    wait_for(warned, 60, "the walltime warning", interval=1)

    run("scancel", job_id)  # as root: an administrator
    wait_for(lambda: rest_hub.server("bob", "short") is None, 30, "the hub to notice")
    home = rest_hub.login("bob").get(rest_hub.url + "hub/home", timeout=30).text
    assert f"Slurm job {job_id}" in home and "cancelled by an administrator (uid 0)" in home


@pytest.mark.parametrize(("image", "engine"), [
    ("notebook", "charliecloud"), ("notebook-sqfs", "charliecloud"),
    ("notebook-podman", "podman")])
def test_a_site_user_under_each_engine_through_slurmrestd(rest_hub, image, engine):
    """jane.doe (a dot, her home in /srv/homes) through slurmrestd, as through the
    commands in test_engines: the job runs as her, in her home, under the engine."""
    name = image.replace("notebook", "nb")
    r = rest_hub.spawn("jane.doe", name, {"profile": "mc-small", "image": image})
    assert r.status_code in (201, 202), r.text
    job_id = rest_hub.wait_ready("jane.doe", name)["state"]["job_id"]
    try:
        info = rest_hub.server_get("jane.doe", "funicular/api/info", name=name).json()
        assert info["container_engine"] == engine and info["in_container"] is True
        assert info["user"] == "jane.doe" and info["slurm_job_id"] == job_id
        # Charliecloud mounts the home at /home/<user>; Podman at the host's path
        inside = "/home/jane.doe" if engine == "charliecloud" else "/srv/homes/jane.doe"
        assert info["home"] == info["cwd"] == inside, info
        assert run("squeue", "-h", "-j", job_id, "-o", "%u").stdout.strip() == "jane.doe"
    finally:
        assert rest_hub.stop_server("jane.doe", name).status_code in (202, 204)
    wait_for(lambda: job_state(job_id) in ("CANCELLED", "COMPLETED"), 30, "the job to end")
