"""FunicularSpawner on the real cluster in a box: JupyterLab in a container in a Slurm job."""

import functools
import importlib.resources
import os
import pathlib
import stat

from .harness import (
    env_path,
    is_job_id,
    job_state,
    notebook_jobs,
    run,
    secret_env,
    wait_for,
    xsrf_headers,
)

LAUNCH = importlib.resources.files("funicular.core") / "launch.sh"


def test_user_logs_in_spawns_and_reaches_jupyterlab(hub):
    """alice logs in with her password, starts her server, gets JupyterLab through the proxy
    from a process in a container, in a Slurm job on a compute node, running as alice."""
    s = hub.login("alice")
    r = s.post(hub.url + "hub/api/users/alice/server", json={}, headers=xsrf_headers(s))
    assert r.status_code in (201, 202), r.text
    server = hub.wait_ready("alice")
    job_id = server["state"]["job_id"]
    assert is_job_id(job_id)

    lab = s.get(hub.url + "user/alice/lab", timeout=60)  # follows the hub's OAuth redirects
    assert lab.status_code == 200 and "<title>JupyterLab</title>" in lab.text

    info = s.get(hub.url + "user/alice/funicular/api/info", timeout=30).json()
    assert info["user"] == "alice" and info["uid"] == int(run("id", "-u", "alice").stdout)
    assert info["hostname"] in ("mc1", "mc2") and info["slurm_job_id"] == job_id
    assert info["slurm_partition"] == "mc" and info["cuda_visible_devices"] is None
    assert info["in_container"] is True
    assert info["mount_namespace"] != os.readlink("/proc/self/ns/mnt")
    squeue = run("squeue", "-h", "-j", job_id, "-o", "%u %T %N").stdout.split()
    assert squeue == ["alice", "RUNNING", info["hostname"]]

    # stop cancels the job and returns once Slurm no longer runs it
    r = s.delete(hub.url + "hub/api/users/alice/server", headers=xsrf_headers(s))
    assert r.status_code == 204, r.text
    assert job_state(job_id) in ("CANCELLED", "COMPLETED")
    assert not env_path("alice").exists()


def test_gpu_profile_lands_on_gpu1_with_cuda_visible_devices(hub):
    r = hub.spawn("bob", "gpu", {"profile": "gpu-1"})
    assert r.status_code in (201, 202), r.text
    hub.wait_ready("bob", "gpu")
    info = hub.server_get("bob", "funicular/api/info", name="gpu").json()
    assert info["hostname"] == "gpu1" and info["slurm_partition"] == "gpu"
    assert info["cuda_visible_devices"] in ("0", "1")  # the one GPU Slurm allocated
    assert info["user"] == "bob"


def test_invalid_options_are_refused_with_a_reason_and_submit_nothing(hub):
    before = notebook_jobs("bob")
    for options, words in (
        ({"profile": "gpu-1; scancel -u root"}, "not one of the offered profiles"),
        ({"profile": "gpu-1", "partition": "debug"}, "not a partition you can use"),
        ({"profile": "gpu-1", "qos": "high"}, "unknown option"),
        ({"profile": {"$ne": 1}}, "not one of the offered profiles"),
    ):
        r = hub.spawn("bob", "bad", options)
        assert r.status_code == 400, r.text
        assert words in r.json()["message"]
    assert notebook_jobs("bob") == before
    assert hub.server("bob", "bad") is None


def test_token_stays_out_of_argv_scripts_and_slurm(hub):
    hub.spawn("alice")
    job_id = hub.wait_ready("alice")["state"]["job_id"]
    token = secret_env("alice")["JUPYTERHUB_API_TOKEN"]
    assert len(token) >= 32

    path = env_path("alice")
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert st.st_uid == int(run("id", "-u", "alice").stdout)

    assert token not in run("scontrol", "show", "job", "-dd", job_id).stdout
    script = run("scontrol", "write", "batch_script", job_id, "-").stdout
    assert script == LAUNCH.read_text()  # the fixed launcher, no value of the user's in it
    for proc in pathlib.Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                assert token.encode() not in (proc / "cmdline").read_bytes()
            except OSError:
                pass
    log = pathlib.Path(run("getent", "passwd", "alice").stdout.split(":")[5]) / \
        ".funicular/test-servers/default" / f"slurm-{job_id}.log"
    assert token not in log.read_text()
    assert token not in (hub.dir / "jupyterhub.log").read_text()


def test_address_callback_accepts_only_this_servers_host_and_port(hub):
    import requests

    hub.spawn("alice")
    server = hub.wait_ready("alice")
    token = secret_env("alice")["JUPYTERHUB_API_TOKEN"]

    def post(body, tok=token, what="address"):
        return requests.post(hub.url + f"hub/api/funicular/{what}", json=body, timeout=10,
                             headers={"Authorization": f"token {tok}"})

    assert post({"host": "10.77.77.12", "port": 2000}, tok="not-a-token").status_code == 403
    assert post({"host": "10.77.77.12", "port": 2000}, tok=hub.token).status_code == 403
    assert post({"host": "10.77.77.12", "port": 2000, "url": "http://evil/"}).status_code == 400
    assert post({"host": "evil.example; rm", "port": 2000}).status_code == 400
    assert post({"host": "10.77.77.12", "port": 22}).status_code == 400
    # the server already reported: a different address is refused, the route stays
    assert post({"host": "10.77.77.12", "port": 2000}).status_code != 200
    assert hub.server("alice")["state"] == server["state"]
    assert hub.server_get("alice", "funicular/api/info").status_code == 200

    # the server's extension said it listens at the address it reported; the same
    # checks hold there, and another address is refused
    log = (hub.dir / "jupyterhub.log").read_text()
    assert "200 POST /hub/api/funicular/listening (alice@" in log
    host, port = server["state"]["host"], server["state"]["port"]
    listening = functools.partial(post, what="listening")
    assert listening({"host": host, "port": port}, tok="not-a-token").status_code == 403
    assert listening({"host": host, "port": port, "url": "x"}).status_code == 400
    assert listening({"host": host, "port": port + 1}).status_code == 409
    # another job of the same server (a leftover whose cancel is retried) is refused
    assert listening({"host": host, "port": port, "job_id": "999999"}).status_code == 409
    assert post({"host": host, "port": port, "job_id": "999999"}).status_code == 409
    assert post({"host": host, "port": port, "job_id": "1 OR 1"}).status_code == 400
    assert listening({"host": host, "port": port}).status_code == 200


def test_progress_says_why_it_waits_when_it_starts_and_where(hub, gpu_blocker):
    """The progress events while bob's GPU job queues behind another job, then runs."""
    import json
    import threading

    import requests

    r = hub.spawn("bob", "gpu", {"profile": "gpu-1"})
    assert r.status_code == 202, r.text  # pending: both GPUs are taken
    events: list[str] = []

    def read():
        with requests.get(hub.url + "hub/api/users/bob/servers/gpu/progress", stream=True,
                          headers={"Authorization": f"token {hub.token}"}, timeout=120) as s:
            for line in s.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    event = json.loads(line[5:])
                    events.append(event.get("message", ""))
                    if event.get("ready") or event.get("failed"):
                        return
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_for(lambda: any("expected start 20" in e for e in events), 30,
             "a queue message with the expected start time")
    queued = next(e for e in events if "expected start" in e)
    assert queued.startswith("Queued: the nodes that fit your request are busy (Resources)")
    run("scancel", gpu_blocker)
    reader.join(120)
    text = "\n".join(events)
    assert "Running on gpu1; starting the container" in text
    assert "Server is up on" in text and "Slurm ends it at" in text
    assert text.index("Submitted Slurm job") < text.index("Queued:") < \
        text.index("Running on gpu1") < text.index("Server is up")
