"""Transfers and staging from a spawned notebook server, against the real Swift: the
hub hands each user's keys to their server and nowhere else; the kernel client moves
data through the server's transfer service (which outlives the process that asked);
bad requests are refused by field; a job stages its input in and its result out on
the compute node."""

import json
import shutil
import stat

import pytest

from funicular.core.storage import filesystem

from .harness import env_path, home, remove_container, run, store_credentials, wait_for

creds = store_credentials

NAME = "funitest-job"  # the stale-job sweep of conftest knows this prefix
CONTAINERS = ("funitest-nb", "funitest-stage")



@pytest.fixture
def alice(hub):
    for c in CONTAINERS:
        remove_container("alice", c)
    hub.spawn("alice")
    hub.wait_ready("alice")
    token = hub.user_token("alice")

    def call(method, path, **kw):
        return hub.as_user(method, "alice", path, token, **kw)
    call.token = token
    yield call
    for job in call("GET", "funicular/api/jobs").json().get("jobs", []):
        if not job["final"] and job["backend_id"]:
            run("scancel", job["backend_id"], check=False)
    for c in CONTAINERS:
        remove_container("alice", c)
    shutil.rmtree(home("alice") / "xfer-test", ignore_errors=True)


def test_keys_reach_the_server_and_nowhere_else(hub, alice):
    key = creds("alice").swift_key
    env = env_path("alice")
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert f"FUNICULAR_STORE_SWIFT_KEY={key}" in env.read_text().splitlines()
    assert f"FUNICULAR_STORE_S3_SECRET_KEY={key}" in env.read_text().splitlines()
    job_id = hub.server("alice")["state"]["job_id"]
    assert key not in run("scontrol", "show", "job", "-d", job_id).stdout
    assert key not in run("scontrol", "write", "batch_script", job_id, "-").stdout
    assert key not in run("ps", "-eo", "args").stdout  # in no process's argv
    assert key not in (hub.dir / "jupyterhub.log").read_text()
    assert alice("GET", "funicular/api/storage").json() == {"stores": ["swift", "s3"]}


CLIENT = """
import json, os
from funicular.widgets import storage
os.makedirs("xfer-test", exist_ok=True)
with open("xfer-test/in.txt", "w") as f:
    f.write("from the notebook\\n" * 1000)
storage.mkdir("swift://funitest-nb")
put = storage.put("xfer-test/in.txt", "swift://funitest-nb/")
listed = storage.ls("swift://funitest-nb")
listed_s3 = storage.ls("s3://funitest-nb")
link = storage.share("swift://funitest-nb/in.txt", 60)
got = storage.get("s3://funitest-nb/in.txt", "xfer-test/back.txt")
same = open("xfer-test/back.txt").read() == open("xfer-test/in.txt").read()
try:
    storage.copy("swift://funitest-nb/missing.txt", "xfer-test/")
    missing = None
except storage.StorageError as e:
    missing = str(e)
storage.rm("swift://funitest-nb/in.txt")
with open("xfer-test/big.bin", "wb") as f:
    f.write(os.urandom(200 * 2**20))
big = storage.put("xfer-test/big.bin", "swift://funitest-nb/big.bin", wait=False)
print(json.dumps({"put": put.record, "ls": listed, "ls_s3": listed_s3, "link": link,
                  "get": got.record, "same": same, "missing": missing,
                  "after": storage.ls("swift://funitest-nb"), "big": big.id}))
"""


def test_the_kernel_client_moves_data_through_the_server(hub, alice):
    res = hub.in_server("alice", "python3", "-c", CLIENT, cwd=str(home("alice")))
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["put"]["state"] == "done" and out["put"]["verified"] == "etag"
    assert out["put"]["dst"] == "swift://funitest-nb/in.txt"
    assert [(e["name"], e["size"]) for e in out["ls"]] == [("in.txt", 18000)]
    assert out["ls_s3"] == [{**out["ls"][0], "url": "s3://funitest-nb/in.txt"}]
    assert out["get"]["state"] == "done" and out["same"]
    assert "no such object" in out["missing"]
    assert out["after"] == []
    assert run("curl", "-sf", out["link"], check=False).returncode == 22  # removed since
    # the process that asked for the big upload is gone: the server finishes it
    big = wait_for(lambda: (r := alice("GET", f"funicular/api/transfers/{out['big']}").json())
                   ["state"] not in ("queued", "running") and r, 120, "the 200 MiB upload")
    assert big["state"] == "done" and big["size"] == 200 * 2**20, big
    info = filesystem("swift", creds("alice")).info("funitest-nb/big.bin")
    assert info["size"] == 200 * 2**20
    listed = alice("GET", "funicular/api/transfers").json()["transfers"]
    assert listed[0]["id"] == out["big"]  # newest first
    assert alice("DELETE", f"funicular/api/transfers/{out['big']}").status_code == 204
    assert alice("GET", f"funicular/api/transfers/{out['big']}").status_code == 404


@pytest.mark.parametrize("body, status, field", [
    ({"src": "ftp://host/x", "dst": "swift://funitest-nb/"}, 400, "src"),
    ({"src": "/etc/hostname", "dst": "swift://c/a/../b"}, 400, "dst"),
    ({"src": "/etc/hostname", "dst": "swift://funitest-nb/", "mode": "fast"}, 400, "mode"),
    ({"src": "/etc/hostname"}, 400, "dst"),
    ({"src": "swift://funitest-nb/", "dst": "/tmp/"}, 400, None),
])
def test_bad_requests_are_refused_and_change_nothing(hub, alice, body, status, field):
    before = alice("GET", "funicular/api/transfers").json()["transfers"]
    r = alice("POST", "funicular/api/transfers", json=body)
    assert r.status_code == status, r.text
    assert r.json().get("field") == field and r.json()["message"]
    assert alice("GET", "funicular/api/transfers").json()["transfers"] == before


def test_another_users_container_is_out_of_reach(hub, alice):
    bob = filesystem("swift", creds("bob"))
    bob.mkdir("funitest-bob")
    bob.pipe_file("funitest-bob/private.txt", b"bob only")
    try:
        r = alice("GET", "funicular/api/storage/ls", params={"url": "swift://funitest-bob"})
        assert r.status_code == 404, r.text
        r = alice("POST", "funicular/api/transfers",
                  json={"src": "swift://funitest-bob/private.txt", "dst": "/tmp/"})
        assert r.status_code == 201
        t = wait_for(lambda: (x := alice("GET", f"funicular/api/transfers/{r.json()['id']}")
                              .json())["state"] not in ("queued", "running") and x, 60, "it")
        assert t["state"] == "failed" and "no such object" in t["error"]
    finally:
        remove_container("bob", "funitest-bob")


def _job(alice, body) -> dict:
    r = alice("POST", "funicular/api/jobs", json={
        "image": "notebook", "partition": "mc", "minutes": 5, "name": NAME, **body})
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    return wait_for(lambda: (j := alice("GET", f"funicular/api/jobs/{job_id}").json())["final"]
                    and j, 180, "the job to end")


def test_a_job_stages_its_input_in_and_its_result_out(hub, alice):
    fs = filesystem("swift", creds("alice"))
    fs.mkdir("funitest-stage")
    fs.pipe_file("funitest-stage/input.txt", b"hello stage\n")
    job = _job(alice, {
        "command": ["sh", "-c", "tr a-z A-Z < data/input.txt > result.txt"],
        "stage_in": [{"src": "swift://funitest-stage/input.txt", "dst": "data/input.txt"}],
        "stage_out": [{"src": "result.txt", "dst": "s3://funitest-stage/out/result.txt"}]})
    assert job["state"] == "COMPLETED", job
    (got_in,), (got_out,) = job["staging"]["in"], job["staging"]["out"]
    assert got_in["state"] == "done" and got_in["verified"] == "md5"
    assert got_out["state"] == "done" and got_out["verified"] == "etag"
    assert fs.cat_file("funitest-stage/out/result.txt") == b"HELLO STAGE\n"
    jobdir = home("alice") / job["dir"]
    assert not (jobdir / ".stage-credentials").exists()
    log = next(jobdir.glob("slurm-*.log")).read_text()
    assert "funicular stage-in: swift://funitest-stage/input.txt -> data/input.txt: done" in log
    assert creds("alice").swift_key not in log

    # an input that is not there: the job's command never runs, and the record says why
    job = _job(alice, {
        "command": ["touch", "ran"],
        "stage_in": [{"src": "swift://funitest-stage/absent.txt", "dst": "absent.txt"}]})
    assert job["state"] == "FAILED", job
    assert job["staging"]["in"][0]["state"] == "failed"
    assert "no such object" in job["staging"]["in"][0]["error"]
    assert not (home("alice") / job["dir"] / "ran").exists()
    assert not (home("alice") / job["dir"] / ".stage-credentials").exists()


def test_staging_is_refused_by_field_before_anything_runs(hub, alice):
    r = alice("POST", "funicular/api/jobs", json={
        "image": "notebook", "partition": "mc", "name": NAME, "command": ["true"],
        "stage_in": [{"src": "swift://funitest-stage/a", "dst": "../../.bashrc"}]})
    assert r.status_code == 400 and r.json()["field"] == "stage_in", r.text
    assert all(j["name"] != NAME or j["final"]
               for j in alice("GET", "funicular/api/jobs").json()["jobs"])


STANDARD_TOOLS = """
import json
import fsspec, s3fs
s3 = s3fs.S3FileSystem()  # no arguments: AWS_* from the environment, the endpoint too
s3.mkdir("funitest-std")
with s3.open("funitest-std/std.csv", "w") as f:
    f.write("a,b\\n1,2\\n")
with fsspec.open("swift://funitest-std/std.csv") as f:  # ST_* / FUNICULAR_STORE_*
    via_swift = f.read().decode()
s3.rm("funitest-std/std.csv")
print(json.dumps({"via_swift": via_swift}))
"""


def test_common_tools_find_the_credentials_with_no_code(hub, alice):
    """s3fs with no arguments (as pandas and xarray use it) reads the AWS_* variables the
    hub put into the server's env file, and swift:// reads the Swift ones."""
    res = hub.in_server("alice", "python3", "-c", STANDARD_TOOLS, cwd=str(home("alice")))
    try:
        assert res.returncode == 0, res.stderr[-3000:]
        out = json.loads(res.stdout.strip().splitlines()[-1])
        assert out["via_swift"] == "a,b\n1,2\n"
    finally:
        remove_container("alice", "funitest-std")
