"""Follow-on jobs from inside a spawned notebook server, on the real cluster: submit
through slurmrestd with the user's own token from the hub, follow the change stream,
read logs, cancel, sweep with an array after a dependency, restart the server and
still see the jobs; another user can neither see nor cancel them."""

import json
import time

import pytest
import requests

from funicular.core.slurm.rest import sign_jwt

from .harness import BOX, home, job_state, rest_version, run, wait_for

JOBS = "funicular/api/jobs"
NAME = "funitest-job"  # the stale-job sweep of conftest knows this prefix


@pytest.fixture
def alice(hub):
    hub.spawn("alice")
    hub.wait_ready("alice")
    token = hub.user_token("alice")

    def call(method, path="", **kw):
        return hub.as_user(method, "alice", f"{JOBS}{path}", token, **kw)
    call.token = token
    yield call
    for job in call("GET").json().get("jobs", []):
        if not job["final"] and job["backend_id"]:
            run("scancel", job["backend_id"], check=False)


def events(hub, token: str, until, timeout: float = 120) -> list[dict]:
    """Read the change stream until ``until(event)`` is true; every event seen."""
    seen = []
    url = hub.url + f"user/alice/{JOBS}/events"
    with requests.get(url, headers={"Authorization": f"token {token}"}, stream=True,
                      timeout=(10, timeout)) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        name, deadline = None, time.monotonic() + timeout
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                event = {"event": name, **json.loads(line[6:])}
                seen.append(event)
                if until(event):
                    return seen
            assert time.monotonic() < deadline, f"stream ended without it: {seen[-5:]}"
    raise AssertionError(f"stream closed: {seen[-5:]}")



def test_submit_follow_read_logs_and_outputs(hub, alice):
    site = alice("GET", "/site").json()
    assert site["backend"] == "rest" and "notebook" in site["images"] and "mc" in site["partitions"]
    r = alice("POST", json={"image": "notebook", "partition": "mc", "minutes": 5, "name": NAME,
                            "command": ["sh", "-c", 'echo "hello from $FUNICULAR_JOB on '
                                        '$(hostname) as $(id -un)"; echo 42 > answer.txt'],
                            "env": {"GREETING": "$(rm -rf ~)"}})
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["state"] == "PENDING" and job["backend"] == "rest" and job["backend_id"].isdigit()
    # Slurm sees it as alice's job, submitted with alice's own token
    assert run("squeue", "-h", "-t", "all", "-j", job["backend_id"], "-o", "%u").stdout.strip() \
        == "alice"

    done = events(hub, alice.token, lambda e: e["event"] == "job" and
                  e["job"]["id"] == job["id"] and e["job"]["final"])
    assert done[0]["event"] == "snapshot"
    final = done[-1]["job"]
    assert final["state"] == "COMPLETED", final
    assert final["nodes"] in ("mc1", "mc2")
    # the exit code comes from accounting, which slurmdbd may record a moment later
    wait_for(lambda: alice("GET", f"/{job['id']}").json()["exit_code"] == "0:0", 60,
             "the exit code from accounting")

    log = alice("GET", f"/{job['id']}/logs").json()
    assert f"hello from {job['id']} on mc" in log["data"] and "as alice" in log["data"]
    assert log["final"] is True
    files = {f["path"] for f in alice("GET", f"/{job['id']}/outputs").json()["files"]}
    assert files == {"answer.txt", f"slurm-{job['backend_id']}.log"}
    on_disk = home("alice") / "funicular-jobs" / job["id"]
    assert (on_disk / "answer.txt").read_text() == "42\n"
    assert on_disk.stat().st_uid == int(run("id", "-u", "alice").stdout)


def test_bad_requests_are_refused_and_change_nothing(hub, alice):
    before = alice("GET").json()["jobs"]
    jobs_dir = home("alice") / "funicular-jobs"
    dirs = set(jobs_dir.iterdir()) if jobs_dir.exists() else set()
    for body, field in [
        ({"image": "notebook", "partition": "mc", "command": "echo hi; rm -rf ~"}, "command"),
        ({"image": "/etc", "partition": "mc", "command": ["true"]}, "image"),
        ({"image": "nope", "partition": "mc", "command": ["true"]}, "image"),
        ({"image": "notebook", "partition": "mc --uid=0", "command": ["true"]}, "partition"),
        ({"image": "notebook", "partition": "mc", "command": ["true"], "nodes": 0}, "nodes"),
        ({"image": "notebook", "partition": "mc", "command": ["true"], "after": ["j000000000000"]},
         "after"),
    ]:
        r = alice("POST", json=body)
        assert r.status_code == 400 and r.json()["field"] == field, (body, r.text)
        assert r.json()["message"].startswith(f"{field}: ")
    r = alice("POST", data=b"not json")
    assert r.status_code == 400
    # the scheduler's own refusal comes back in its words, recorded as such
    r = alice("POST", json={"image": "notebook", "partition": "nosuch", "command": ["true"],
                            "name": NAME})
    assert r.status_code == 502 and "partition" in r.json()["message"].lower(), r.text
    after = alice("GET").json()["jobs"]
    assert len(after) == len(before) + 1 and after[0]["state"] == "SUBMIT_FAILED"
    assert set(jobs_dir.iterdir()) - dirs == {jobs_dir / after[0]["id"]}


def test_cancel_sweep_after_dependency_and_restart(hub, alice):
    long = alice("POST", json={"image": "notebook", "partition": "mc", "minutes": 5,
                               "name": NAME, "command": ["sleep", "300"]}).json()
    wait_for(lambda: alice("GET", f"/{long['id']}").json()["state"] == "RUNNING", 60,
             "the long job to run")
    r = alice("POST", f"/{long['id']}/cancel")
    assert r.status_code == 202
    wait_for(lambda: alice("GET", f"/{long['id']}").json()["state"] == "CANCELLED", 30,
             "the job to be cancelled")
    assert job_state(long["backend_id"]) == "CANCELLED"

    first = alice("POST", json={"image": "notebook", "partition": "mc", "name": NAME,
                                "command": ["sh", "-c", "echo 10 > base.txt"]}).json()
    sweep = alice("POST", json={
        "image": "notebook", "partition": "mc", "name": NAME, "array": "0-2",
        "after": [first["id"]],
        "command": ["sh", "-c", 'echo "task $SLURM_ARRAY_TASK_ID"']}).json()
    assert sweep["state"] == "PENDING"
    wait_for(lambda: alice("GET", f"/{sweep['id']}").json()["final"], 120, "the sweep to end")
    done = alice("GET", f"/{sweep['id']}").json()
    assert done["state"] == "COMPLETED" and done["tasks"] == {"COMPLETED": 3}, done
    assert alice("GET", f"/{first['id']}").json()["state"] == "COMPLETED"
    for task in range(3):
        log = alice("GET", f"/{sweep['id']}/logs", params={"task": task}).json()
        assert f"task {task}" in log["data"]
    assert alice("GET", f"/{sweep['id']}/logs").status_code == 400  # which task?

    # a new server (another Slurm job) lists the same jobs with their final states
    hub.stop_server("alice")
    wait_for(lambda: hub.server("alice") is None, 60, "alice's server to stop")
    hub.spawn("alice")
    hub.wait_ready("alice")
    listed = {j["id"]: j for j in alice("GET").json()["jobs"]}
    assert listed[long["id"]]["state"] == "CANCELLED"
    assert listed[sweep["id"]]["state"] == "COMPLETED"


def test_another_user_can_neither_see_nor_cancel(hub, alice):
    job = alice("POST", json={"image": "notebook", "partition": "mc", "minutes": 5,
                              "name": NAME, "command": ["sleep", "120"]}).json()
    bob_token = hub.user_token("bob")
    # bob's token does not open alice's server
    for method, path in (("GET", JOBS), ("POST", f"{JOBS}/{job['id']}/cancel")):
        r = hub.as_user(method, "alice", path, bob_token)
        assert r.status_code in (302, 403), (method, path, r.status_code)
    # bob's own server knows nothing of it
    hub.spawn("bob")
    hub.wait_ready("bob")
    r = hub.as_user("GET", "bob", JOBS, bob_token)
    assert job["id"] not in {j["id"] for j in r.json()["jobs"]}
    assert hub.as_user("POST", "bob", f"{JOBS}/{job['id']}/cancel", bob_token).status_code == 404
    # the hub hands Slurm tokens to a running server's own token only
    r = requests.post(hub.url + "hub/api/funicular/slurm-token", timeout=10,
                      headers={"Authorization": f"token {bob_token}"})
    assert r.status_code == 403, r.text
    # and a token of bob's, as his server gets, does not cancel alice's job in Slurm
    jwt = sign_jwt((BOX / "slurm/state/jwt_hs256.key").read_bytes(), "bob", int(time.time()), 60)
    r = requests.delete(f"http://127.0.0.1:6820/slurm/{rest_version()}/job/{job['backend_id']}",
                        timeout=10, headers={"X-SLURM-USER-NAME": "bob", "X-SLURM-USER-TOKEN": jwt})
    # refused by Slurm itself (22.05: HTTP 500 with the error; 24.11's v0.0.42: HTTP 200
    # with the job's own status), not a path that does not exist
    assert r.status_code != 404, r.text
    time.sleep(1)
    assert job_state(job["backend_id"]) in ("PENDING", "RUNNING")
    assert alice("POST", f"/{job['id']}/cancel").status_code == 202
    hub.stop_server("bob")
