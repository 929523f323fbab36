"""One user cannot reach, stop or read another user's server, job or logs.

alice and bob each run a server; bob (logged in through the hub with his password,
and as the Unix user on the cluster) tries every way in to alice's, and each attempt
must fail while alice's server keeps running untouched.
"""

import pytest
import requests

from .harness import env_path, job_state, run, slurm, xsrf_headers


@pytest.fixture
def two_servers(hub):
    for user in ("alice", "bob"):
        assert hub.spawn(user).status_code in (201, 202)
    servers = {user: hub.wait_ready(user) for user in ("alice", "bob")}
    sessions = {user: hub.login(user) for user in ("alice", "bob")}
    for user, session in sessions.items():  # the OAuth round trip that sets the server cookie
        assert session.get(hub.url + f"user/{user}/lab", timeout=60).status_code == 200
    return servers, sessions


def _still_fine(hub, alice_session, job_id):
    assert job_state(job_id) == "RUNNING"
    r = alice_session.get(hub.url + "user/alice/api/contents", timeout=30)
    assert r.status_code == 200, r.text[:300]


def test_through_the_hub_and_proxy(hub, two_servers):
    servers, s = two_servers
    alice_job = servers["alice"]["state"]["job_id"]
    bob = s["bob"]
    # bob's own server works with his session: the attempts below fail for the right reason
    assert bob.get(hub.url + "user/bob/api/contents", timeout=30).status_code == 200

    for path in ("user/alice/lab", "user/alice/api/contents",
                 "user/alice/funicular/api/info", "user/alice/files/.bashrc"):
        r = bob.get(hub.url + path, timeout=30)
        assert r.status_code in (403, 404), (path, r.status_code, r.url)

    api = hub.url + "hub/api/users/alice"
    for method, path in (("GET", ""), ("DELETE", "/server"), ("POST", "/server"),
                         ("DELETE", "/servers/x"), ("POST", "/tokens"), ("GET", "/tokens")):
        r = bob.request(method, api + path, headers=xsrf_headers(bob), json={}, timeout=30)
        assert r.status_code in (403, 404), (method, path, r.status_code, r.text[:200])
    _still_fine(hub, s["alice"], alice_job)


def test_straight_to_the_compute_node(hub, two_servers):
    """Past the proxy, on the node itself: the server still wants alice's credentials."""
    servers, s = two_servers
    alice_job = servers["alice"]["state"]["job_id"]
    url = servers["alice"]["url"]  # /user/alice/
    host = run("squeue", "-h", "-j", alice_job, "-o", "%B").stdout.strip()
    port = servers["alice"]["state"]["port"]
    base = f"http://{host}:{port}{url}api/contents"
    bob_token = hub.api("POST", "/users/bob/tokens", json={"expires_in": 600}).json()["token"]
    for headers in ({}, {"Authorization": f"token {bob_token}"},
                    {"Authorization": f"token {hub.token}x"}):
        r = requests.get(base, headers=headers, timeout=30, allow_redirects=False)
        assert r.status_code in (302, 403), (headers.keys(), r.status_code)
    _still_fine(hub, s["alice"], alice_job)


def test_on_the_cluster_as_unix_user_bob(hub, two_servers):
    servers, s = two_servers
    alice_job = servers["alice"]["state"]["job_id"]
    as_bob = ("sudo", "-n", "-u", "bob", "--")
    r = run(*as_bob, slurm("scancel"), alice_job, check=False)
    assert r.returncode != 0 and "Access/permission denied" in r.stderr
    # alice's server token and job log live in a private directory
    for path in (env_path("alice"), env_path("alice").parent):
        r = run(*as_bob, "cat", str(path), check=False)
        assert r.returncode != 0 and "Permission denied" in r.stderr
    r = run(*as_bob, "ls", str(env_path("alice").parent.parent), check=False)
    assert r.returncode != 0 and "Permission denied" in r.stderr
    # bob's own server's token cannot report an address for alice's server
    bob_token = open(env_path("bob")).read().split("JUPYTERHUB_API_TOKEN=")[1].split()[0]
    r = requests.post(hub.url + "hub/api/funicular/address", timeout=10,
                      json={"host": "10.77.77.12", "port": 2000},
                      headers={"Authorization": f"token {bob_token}"})
    assert r.status_code != 200
    assert hub.server("alice")["state"] == servers["alice"]["state"]
    _still_fine(hub, s["alice"], alice_job)
