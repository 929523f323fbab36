"""Jobs from a notebook server through the other backends (slurmrestd: test_jobs.py):
the Slurm CLI inside the container (the image's sbatch with the node's slurm.conf and
munge socket bound in), and UNICORE through pyunicore, against a fake of UNICORE's
REST API that authenticates as UNICORE/X does and runs the jobs on the real Slurm
(tests/integration/unicore_fake.py): no UNICORE server can be installed here. The
hub signs the user's UNICORE credential (a trust-delegation JWT, as pyunicore's
JWTToken makes it) with a key whose certificate the fake trusts; the Slurm token
is refused there."""

import datetime
import json
import subprocess
import sys
import time
from types import SimpleNamespace

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from funicular.core.hubapi import HUB_API_TOKEN, ROUTE_UNICORE_TOKEN
from funicular.core.slurm.rest import sign_jwt

from .harness import BOX, REPO, Hub, job_state, run, secret_env, wait_for

NAME = "funitest-unicore"
FAKE = "http://10.77.77.1:18090/FAKE-SITE/rest/core"  # on the nodes' bridge


def _issuer(cn: str):
    """A JWT issuer's key and self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Funicular tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2)).sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def unicore_trust(tmp_path_factory):
    """The hub's signing key (0600, for the hub), its certificate and the attribute
    source (DN -> Unix login) for the fake UNICORE."""
    d = tmp_path_factory.mktemp("unicore")
    d.chmod(0o700)
    key, cert = _issuer("Funicular test hub")
    key_file, cert_file, users = d / "hub.key", d / "hub.pem", d / "users.json"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    users.write_text(json.dumps({f"UID={u}": {"xlogin": u, "role": "user"}
                                 for u in ("alice", "bob")}))
    return SimpleNamespace(key=key, key_file=key_file, cert_file=cert_file, users=users,
                           issuer=cert.subject.rfc4514_string())


@pytest.fixture(scope="module")
def unicore(cluster, unicore_trust):
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.unicore_fake",
                             "--listen", "10.77.77.1:18090",
                             "--users", str(unicore_trust.users),
                             "--trusted-issuer-cert", str(unicore_trust.cert_file)],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        def answers():
            try:  # the base resource answers anyone (an anonymous client: no xlogin)
                return requests.get(FAKE, timeout=2).status_code == 200
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
    config = None
    if request.param == "unicore":
        trust = request.getfixturevalue("unicore_trust")
        env["FUNICULAR_UNICORE_URL"] = request.getfixturevalue("unicore")
        env["FUNICULAR_TEST_UNICORE_KEY"] = str(trust.key_file)
        env["FUNICULAR_TEST_UNICORE_ISSUER"] = trust.issuer
        config = REPO / "tests/integration/unicore_hub_config.py"
    h = Hub(name=f"test-hub-{request.param}", port_offset=300, job_prefix="funiback",
            config=config, **env)
    with h.running():
        yield request.param, h


def check_unicore_credentials(hub: Hub, backend_id: str, trust) -> None:
    """What the hub hands alice's server is a delegation token of hers, made as
    pyunicore's JWTToken(etd=True) makes it; the fake UNICORE (UNICORE/X's checks)
    takes it, shows bob nothing of alice's and takes neither a forged, an expired nor
    the Slurm token."""
    server_token = secret_env("alice")[HUB_API_TOKEN]
    r = requests.post(hub.url + "hub/api" + ROUTE_UNICORE_TOKEN, json={}, timeout=10,
                      headers={"Authorization": f"token {server_token}"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store", r.text
    answer = r.json()
    claims = jwt.decode(answer["token"], trust.key.public_key(), algorithms=["RS256"])
    assert answer["kind"] == "jwt" and claims["exp"] - claims["iat"] == 300
    assert {k: claims[k] for k in ("etd", "sub", "iss")} == \
        {"etd": "true", "sub": "UID=alice", "iss": trust.issuer}
    now = int(time.time())
    forger, _ = _issuer("Funicular test hub")  # the same name, another key

    def etd(sub="UID=alice", key=trust.key, **claims):
        return jwt.encode({"etd": "true", "sub": sub, "iss": trust.issuer, "iat": now,
                           "exp": now + 60, **claims}, key, algorithm="RS256")
    slurm = sign_jwt((BOX / "slurm/state/jwt_hs256.key").read_bytes(), "alice", now, 60)
    for who, token, status in (("alice", answer["token"], 200), ("bob", etd("UID=bob"), 403),
                               ("forger", etd(key=forger), 403),
                               ("expired", etd(exp=now - 120), 403),
                               ("the Slurm token", slurm, 403), ("anonymous", None, 403)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = requests.get(f"{FAKE}/jobs/{backend_id}", timeout=10, headers=headers)
        assert r.status_code == status, (who, r.status_code, r.text[:200])


def test_submit_follow_logs_cancel(backend_hub, request):
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
            check_unicore_credentials(hub, job["backend_id"],
                                      request.getfixturevalue("unicore_trust"))
    finally:
        hub.stop_server("alice")
        for line in run("squeue", "-h", "-u", "alice", "-n", NAME, "-o", "%i").stdout.split():
            if job_state(line) in ("PENDING", "RUNNING"):
                run("scancel", line, check=False)
