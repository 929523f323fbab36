"""KubeSpawner's profile_list on the real cluster: the default profile, a profile with
a listed choice and free text, a refused choice that changes nothing, a profile that
opens VS Code first, and a profile whose override of Spawner.cmd is what the job
runs."""

import pathlib

import pytest
import requests

from .harness import REPO, Hub, job_state, notebook_jobs, run, wait_for

PREFIX = "funiplist"


@pytest.fixture(scope="module")
def plist_hub(cluster):
    h = Hub(name="test-hub-plist", port_offset=600, job_prefix=PREFIX,
            config=REPO / "tests/integration/profile_list_hub_config.py",
            FUNICULAR_POLL_INTERVAL=5, FUNICULAR_STATUS_INTERVAL=5, FUNICULAR_IDLE_TIMEOUT=0)
    with h.running():
        yield h


@pytest.fixture(autouse=True)
def clean(plist_hub):
    yield
    plist_hub.stop_all_servers()
    for user in ("alice", "bob"):
        wait_for(lambda u=user: not notebook_jobs(u, PREFIX), 30, "jobs to end")


def job_of(hub, user, name=""):
    return hub.wait_ready(user, name)["state"]["job_id"]


def squeue(job_id, fmt):
    return run("squeue", "-h", "-j", job_id, "-o", fmt).stdout.strip()


def test_the_default_profile_and_the_form(plist_hub):
    page = plist_hub.login("bob").get(plist_hub.url + "hub/spawn", timeout=30).text
    assert "GPU node" in page and "1 CPU, 1 GB, 1 hour" in page
    # KubeSpawner's field names: profile-option-{profile}--{option}
    assert 'name="profile-option-mc--image"' in page
    assert 'name="profile-option-mc--minutes--unlisted-choice"' in page
    assert plist_hub.spawn("alice", "", {}).status_code in (201, 202)
    job_id = job_of(plist_hub, "alice")
    assert squeue(job_id, "%P|%C|%m|%l") == "mc|1|1G|1:00:00"


def test_a_choice_and_free_text_override_the_job(plist_hub):
    r = plist_hub.spawn("bob", "m", {"profile": "mc", "profile-option-image": "podman",
                                     "profile-option-minutes--unlisted-choice": "45"})
    assert r.status_code in (201, 202), r.text
    job_id = job_of(plist_hub, "bob", "m")
    assert squeue(job_id, "%P|%C|%m|%l") == "mc|2|2G|45:00"
    info = plist_hub.server_get("bob", "funicular/api/info", name="m").json()
    assert info["container_engine"] == "podman"
    plist_hub.stop_server("bob", "m")
    # the profile's own override of the job: another partition and a GPU
    assert plist_hub.spawn("bob", "g", {"profile": "gpu"}).status_code in (201, 202)
    job_id = job_of(plist_hub, "bob", "g")
    out = squeue(job_id, "%P|%C|%m|%l|%b").replace("gres/", "gres:")
    assert out == "gpu|2|1G|1:00:00|gres:gpu:1"


def test_a_refused_choice_names_the_field_and_starts_nothing(plist_hub):
    for options, field in (({"profile": "mc", "profile-option-image": "nope"}, "image"),
                           ({"profile": "mc", "profile-option-minutes--unlisted-choice":
                             "1; rm -rf ~"}, "minutes"),
                           ({"profile": "mc", "profile-option-minutes--unlisted-choice":
                             "5000"}, "minutes"),  # not the admin's pattern
                           ({"profile": "huge"}, "profile")):
        r = plist_hub.spawn("bob", "x", options)
        assert r.status_code == 400 and field in r.json()["message"], r.text
    assert notebook_jobs("bob", PREFIX) == []


def test_a_profile_opens_vs_code_first(plist_hub):
    """default_url: the server's root sends the user to the app (docs/apps.md)."""
    assert plist_hub.spawn("alice", "v", {"profile": "vscode"}).status_code in (201, 202)
    plist_hub.wait_ready("alice", "v")
    root = requests.get(plist_hub.url + "user/alice/v/", allow_redirects=False, timeout=30,
                        headers={"Authorization": f"token {plist_hub.token}"})
    where = root.headers.get("Location", "").split("?")[0]
    assert root.status_code == 302 and where == "/user/alice/v/vscode/", (root, where)
    page = plist_hub.server_get("alice", "vscode/", name="v")
    assert page.status_code == 200 and "vscode-workbench-web-configuration" in page.text


def test_a_profiles_command_is_what_the_job_runs(plist_hub):
    assert plist_hub.spawn("alice", "c", {"profile": "own-cmd"}).status_code in (201, 202)
    job_id = job_of(plist_hub, "alice", "c")
    marker = f"SLURM_JOB_ID={job_id}\0".encode()

    def server_argv():
        for proc in pathlib.Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and marker in (proc / "environ").read_bytes():
                    argv = (proc / "cmdline").read_bytes().split(b"\0")
                    if argv[1:3] == [b"-m", b"jupyterhub.singleuser"]:  # not its launchers
                        return argv
            except OSError:
                pass
        return None
    argv = wait_for(server_argv, 20, "the profile's command to run in the job")
    assert argv[:3] == [b"/opt/jupyter/bin/python3", b"-m", b"jupyterhub.singleuser"], argv
    info = plist_hub.server_get("alice", "funicular/api/info", name="c").json()
    assert info["slurm_job_id"] == job_id and info["in_container"]
    plist_hub.stop_server("alice", "c")
    wait_for(lambda: job_state(job_id) in (None, "CANCELLED", "COMPLETED"), 30, "the end")
