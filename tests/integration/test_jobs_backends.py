"""Jobs from a notebook server through the other backends (slurmrestd: test_jobs.py):
the Slurm CLI inside the container (the image's sbatch with the node's slurm.conf and
munge socket bound in), and UNICORE through pyunicore, against a faithful fake of
UNICORE's REST API that runs the jobs on the real Slurm (tests/integration/
unicore_fake.py): no UNICORE server can be installed here."""

import subprocess
import sys
import time

import pytest
import requests

from funicular.core.slurm.rest import sign_jwt

from .harness import BOX, REPO, Hub, job_state, run, wait_for

NAME = "funitest-unicore"
FAKE = "http://10.77.77.1:18090/FAKE-SITE/rest/core"  # on the nodes' bridge


@pytest.fixture(scope="module")
def unicore(cluster):
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.unicore_fake",
                             "--listen", "10.77.77.1:18090",
                             "--key", str(BOX / "slurm/state/jwt_hs256.key")],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def answers():
            try:
                return requests.get(FAKE, timeout=2).status_code == 401
            except requests.ConnectionError:
                return False
        wait_for(answers, 20, "the fake UNICORE server")
        yield FAKE
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module", params=["cli", "unicore"])
def backend_hub(request, cluster):
    env = {"FUNICULAR_JOBS_BACKEND": request.param, "FUNICULAR_IDLE_TIMEOUT": 0}
    if request.param == "unicore":
        env["FUNICULAR_UNICORE_URL"] = request.getfixturevalue("unicore")
    h = Hub(name=f"test-hub-{request.param}", port_offset=300, job_prefix="funiback", **env)
    with h.running():
        yield request.param, h


def test_submit_follow_logs_cancel(backend_hub):
    backend, hub = backend_hub
    hub.spawn("alice")
    hub.wait_ready("alice")
    token = hub.user_token("alice")

    def call(method, path="", **kw):
        return hub.as_user(method, "alice", f"funicular/api/jobs{path}", token, **kw)
    try:
        assert call("GET", "/site").json()["backend"] == backend
        r = call("POST", json={"image": "notebook", "partition": "mc", "minutes": 5,
                               "name": NAME, "command": ["sh", "-c", f"echo via {backend} "
                                                         "on $(hostname); echo 7 > out.txt"]})
        assert r.status_code == 201, r.text
        job = r.json()
        assert job["backend"] == backend
        # a Slurm job id, or UNICORE's UUID of the job
        assert job["backend_id"].isdigit() if backend == "cli" else len(job["backend_id"]) == 36
        wait_for(lambda: call("GET", f"/{job['id']}").json()["final"], 120, "the job to end")
        done = call("GET", f"/{job['id']}").json()
        assert done["state"] == "COMPLETED", done
        wait_for(lambda: call("GET", f"/{job['id']}").json()["exit_code"] == "0:0", 60,
                 "the exit code")
        log = call("GET", f"/{job['id']}/logs").json()  # UNICORE's: through its storage
        assert f"via {backend} on mc" in log["data"], log
        files = {f["path"] for f in call("GET", f"/{job['id']}/outputs").json()["files"]}
        assert "out.txt" in files

        if backend == "unicore":
            # what UNICORE cannot do is refused with the reason, and nothing is created
            before = len(call("GET").json()["jobs"])
            r = call("POST", json={"image": "notebook", "partition": "mc",
                                   "command": ["true"], "array": "0-3"})
            assert r.status_code == 400 and r.json()["field"] == "array"
            assert len(call("GET").json()["jobs"]) == before

        long = call("POST", json={"image": "notebook", "partition": "mc", "minutes": 5,
                                  "name": NAME, "command": ["sleep", "300"]}).json()
        wait_for(lambda: call("GET", f"/{long['id']}").json()["state"] == "RUNNING", 60,
                 "the long job to run")
        assert call("POST", f"/{long['id']}/cancel").status_code == 202
        wait_for(lambda: call("GET", f"/{long['id']}").json()["final"], 60, "the cancel")
        # UNICORE knows no CANCELLED: an aborted job has FAILED
        assert call("GET", f"/{long['id']}").json()["state"] == \
            ("CANCELLED" if backend == "cli" else "FAILED")
        slurm_ids = run("squeue", "-h", "-t", "all", "-u", "alice", "-n", NAME, "-o", "%i %T")
        assert "RUNNING" not in slurm_ids.stdout

        if backend == "unicore":
            # UNICORE shows bob nothing of alice's, and nothing to a forged token
            key = (BOX / "slurm/state/jwt_hs256.key").read_bytes()
            now = int(time.time())
            for who, jwt, status in (("bob", sign_jwt(key, "bob", now, 60), 404),
                                     ("forger", sign_jwt(b"guess", "alice", now, 60), 401)):
                r = requests.get(f"{FAKE}/jobs/{job['backend_id']}", timeout=10,
                                 headers={"Authorization": f"Bearer {jwt}"})
                assert r.status_code == status, (who, r.status_code)
    finally:
        hub.stop_server("alice")
        for line in run("squeue", "-h", "-u", "alice", "-n", NAME, "-o", "%i").stdout.split():
            if job_state(line) in ("PENDING", "RUNNING"):
                run("scancel", line, check=False)
