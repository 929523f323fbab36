"""The spawn form built from the live cluster, and what users may ask for (form and REST)."""

import os
import re
import signal
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import notebook_jobs, run, slurmctld_pid, wait_for, xsrf_headers


@pytest.fixture
def course_reservation(hub):
    """An active reservation on mc2 for alice only, as a workshop would have."""
    run("scontrol", "create", "reservation", "ReservationName=funitest-course",
        "StartTime=now", "Duration=30", "Users=alice", "Nodes=mc2", "Flags=IGNORE_JOBS")
    try:
        yield "funitest-course"
    finally:
        hub.stop_all_servers()  # Slurm refuses to delete a reservation with jobs in it
        wait_for(lambda: run("scontrol", "delete", "ReservationName=funitest-course",
                             check=False).returncode == 0, 30, "the reservation to be deleted")


def spawn_page(session, hub, name=""):
    r = session.get(hub.url + f"hub/spawn/{session.user}/{name}".rstrip("/"), timeout=30)
    assert r.status_code == 200, r.text[:500]
    return r.text


def login(hub, user):
    s = hub.login(user)
    s.user = user
    return s


def post_form(session, hub, fields, name=""):
    url = hub.url + f"hub/spawn/{session.user}/{name}".rstrip("/")
    files = {k: (None, str(v)) for k, v in {**fields,
                                           "_xsrf": xsrf_headers(session)["X-XSRFToken"]}.items()}
    return session.post(url, files=files, timeout=60, allow_redirects=False)


def test_form_shows_the_live_cluster_per_user(hub, course_reservation):
    a, b = login(hub, "alice"), login(hub, "bob")
    # the form's view is refreshed in the background once older than its TTL (3 s here)
    wait_for(lambda: course_reservation in spawn_page(a, hub), 20,
             "the new reservation to show on the form", interval=1)
    alice, bob = spawn_page(a, hub), spawn_page(b, hub)
    for page in (alice, bob):
        assert "Cluster state as of" in page and 'name="mode" value="advanced"' in page
        # partitions with idle/total nodes and free/total GPUs, as Slurm reports them
        assert re.search(r"<td>mc</td><td>\d/2</td><td>\d+/16</td><td>none</td><td>8 h</td>",
                         page)
        assert re.search(r"<td>gpu</td><td>\d/1</td><td>\d+/8</td><td>\d/2</td>", page)
        assert '<option value="notebook">' in page  # the image catalog
    # each user sees only their own accounts and the reservations that admit them
    assert '<option value="workshop">' in alice and '<option value="workshop">' not in bob
    assert '<option value="physics">' in alice and '<option value="physics">' in bob
    assert 'value="funitest-course"' in alice and "funitest-course" not in bob


def test_advanced_form_starts_exactly_what_was_asked(hub):
    s = login(hub, "alice")
    r = post_form(s, hub, {"profile": "mc-small", "mode": "advanced", "partition": "gpu",
                           "account": "workshop", "cpus": 3, "memory_mb": 2048, "gpus": 1,
                           "minutes": 45, "nodes": 1, "reservation": "", "image": "notebook"},
                  name="custom")
    assert r.status_code == 302, r.text[:800]
    hub.wait_ready("alice", "custom")
    job_id = hub.server("alice", "custom")["state"]["job_id"]
    out = run("squeue", "-h", "-j", job_id, "-o", "%P|%a|%C|%m|%l|%b|%N").stdout.strip()
    assert out.replace("gres/", "gres:") == "gpu|workshop|3|2G|45:00|gres:gpu:1|gpu1"
    info = hub.server_get("alice", "funicular/api/info", name="custom").json()
    assert info["cuda_visible_devices"] in ("0", "1")


def test_reservation_from_the_form_lands_on_its_node(hub, course_reservation):
    r = hub.spawn("alice", "resv", {"profile": "mc-small", "reservation": course_reservation})
    assert r.status_code in (201, 202), r.text
    hub.wait_ready("alice", "resv")
    job_id = hub.server("alice", "resv")["state"]["job_id"]
    assert run("squeue", "-h", "-j", job_id, "-o", "%v|%N").stdout.strip() == \
        f"{course_reservation}|mc2"


def test_hostile_form_values_are_refused_on_the_form(hub):
    s = login(hub, "bob")
    before = notebook_jobs("bob")
    for fields, words in (
        ({"mode": "advanced", "cpus": "4; scancel -u root"}, "not a whole number"),
        ({"mode": "advanced", "partition": "debug"}, "not a partition you can use"),
        ({"mode": "advanced", "account": "workshop"}, "not one of your Slurm accounts"),
        ({"mode": "advanced", "cpus": "64"}, "more than the 8 per node"),
        ({"mode": "advanced", "gpus": "1"}, "partition mc has no GPUs"),
        ({"mode": "advanced", "minutes": "100000"}, "more than the 480 allowed"),
        ({"profile": "gpu-1\n#SBATCH --uid=0"}, "not one of the offered profiles"),
    ):
        r = post_form(s, hub, {"profile": "mc-small", **fields})
        assert r.status_code == 200, (fields, r.status_code)  # the form again, with the reason
        assert "spawn-error-msg" in r.text and words in r.text, (fields, r.text[-3000:])
    assert notebook_jobs("bob") == before
    assert hub.server("bob") is None


_HOSTILE = ["mc; scancel -u root", "$(id)", "`reboot`", "mc\n#SBATCH --uid=0", "../../x",
            "--partition=gpu", "gpu --gres=gpu:8", "debug", "workshop", "funitest-course", "",
            "a" * 100, "mc,gpu", "ümlaut"]
_bad_option = st.one_of(
    st.tuples(st.sampled_from(["partition", "account", "reservation", "image", "profile"]),
              st.sampled_from(_HOSTILE)),
    st.tuples(st.sampled_from(["cpus", "nodes", "minutes", "memory_mb"]),
              st.one_of(st.integers(max_value=0), st.integers(min_value=100_000),
                        st.sampled_from(["4", "1e3", None, [], {}, True, 2.5]))),
    st.tuples(st.just("gpus"),  # 0 GPUs is a valid request
              st.one_of(st.integers(max_value=-1), st.integers(min_value=100_000),
                        st.sampled_from(["4", "1e3", None, [], {}, True, 2.5]))),
    st.tuples(st.sampled_from(["qos", "command", "env", "output", "__proto__"]),
              st.sampled_from(["high", "/bin/sh", "x"])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(bad=_bad_option, good=st.dictionaries(st.sampled_from(["cpus", "minutes"]),
                                             st.integers(1, 8), max_size=2))
def test_fuzzed_rest_options_never_reach_slurm(hub, bad, good):
    """Over the REST API: each request with one invalid value is a 400 naming the
    field, and Slurm never sees a job (bob has neither the workshop account nor the
    reservation)."""
    before = notebook_jobs("bob")
    options = {**good, bad[0]: bad[1]}
    r = hub.spawn("bob", "fuzz", options)
    assert r.status_code == 400, (options, r.status_code, r.text)
    assert "Invalid server options" in r.json()["message"]
    assert notebook_jobs("bob") == before
    assert hub.server("bob", "fuzz") is None


def test_named_servers_gpu_and_multicore_at_once(hub):
    for name, profile in (("gpu", "gpu-1"), ("mc", "mc-small")):
        r = hub.spawn("alice", name, {"profile": profile})
        assert r.status_code in (201, 202), r.text
    hosts = {}
    for name in ("gpu", "mc"):
        hub.wait_ready("alice", name)
        hosts[name] = hub.server_get("alice", "funicular/api/info", name=name).json()["hostname"]
    assert hosts["gpu"] == "gpu1" and hosts["mc"] in ("mc1", "mc2")
    assert len(notebook_jobs("alice")) == 2


def test_a_frozen_controller_never_blocks_the_form(hub):
    """slurmctld stopped (SIGSTOP) answers nothing: the form still comes at once from the
    cache, and says it is stale once a refresh has failed."""
    s = login(hub, "alice")
    spawn_page(s, hub)
    pid = slurmctld_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(4)  # past the cache's TTL: the next page starts a refresh that hangs
        # each page must come back well before Slurm's own timeouts (10 s here, 30 s in
        # slurm_timeout): the request timeout is what would fail if the page waited
        page = s.get(hub.url + "hub/spawn/alice", timeout=5).text
        assert "Cluster state as of" in page and 'value="gpu"' in page

        def stale():
            text = s.get(hub.url + "hub/spawn/alice", timeout=5).text
            return "cannot be refreshed right now" in text
        wait_for(stale, 40, "the form to say that the cluster state is stale", interval=1)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for(lambda: "cannot be refreshed" not in s.get(hub.url + "hub/spawn/alice",
                                                        timeout=30).text,
             40, "the form to be fresh again", interval=1)


def test_an_image_for_another_cpu_is_refused_before_queueing(hub):
    before = notebook_jobs("alice")
    r = hub.spawn("alice", "arm", {"profile": "mc-small", "image": "test-arm64"})
    assert r.status_code == 400, r.text
    assert ("test-arm64 cannot run on partition mc: the image is built for neoverse_v2 "
            "(aarch64) but partition mc runs x86_64") in r.json()["message"]
    s = login(hub, "alice")
    page = post_form(s, hub, {"profile": "mc-small", "mode": "advanced", "image": "test-arm64"})
    assert "cannot run on partition mc" in page.text and "spawn-error-msg" in page.text
    assert "test-arm64: built for arm64 (test) (CPU neoverse_v2)" in spawn_page(s, hub)
    assert notebook_jobs("alice") == before and hub.server("alice", "arm") is None
