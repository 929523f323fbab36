"""A tenant with an ordinary account (mallory) attacks other users through the hub.

Slurm keeps any character in job names and comments, every Unicode line separator
included, and users may change both on their own jobs (``scontrol update``). A hub
that split Slurm's text output into lines read mallory's forged rows as other
users' jobs: it dropped alice's running server, and its orphan sweep cancelled a
job of alice's choosing as alice. Also: system accounts as hub users, and a
squatter on a server's port.
"""

import signal
import time

import pytest
import requests

from .harness import job_state, run, secret_env, wait_for

pytestmark = pytest.mark.integration

# every character Python's str.splitlines() breaks a line at
SEPARATORS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def forged(rows: list[str]) -> str:
    """A job name or comment that holds each row after a different line separator."""
    return "x" + "".join(f"{sep}{row}" for sep, row in zip(SEPARATORS, rows * len(SEPARATORS),
                                                            strict=False))


def as_mallory(*argv, **kw):
    return run("runuser", "-u", "mallory", "--", *argv, cwd="/tmp", **kw)


def test_forged_rows_in_a_watched_jobs_name_leave_other_servers_alone(hub):
    hub.spawn("alice")
    alice = hub.wait_ready("alice")
    alice_job = alice["state"]["job_id"]
    hub.spawn("mallory")
    mallory_job = hub.wait_ready("mallory")["state"]["job_id"]

    # the rows the hub's old squeue format (%i|%T|%r|%B|%N|%S|%e|%u|%j) would have read
    row = f"{alice_job}|FAILED|None|mc1|mc1|N/A|N/A|alice|funitest-default"
    name = forged([row])
    assert as_mallory("scontrol", "update", f"JobId={mallory_job}", f"JobName={name}",
                      f"Comment={name}").returncode == 0
    # several status rounds (5 s apart here) and JupyterHub polls of both servers
    time.sleep(16)
    assert job_state(alice_job) == "RUNNING"
    assert hub.server("alice")["ready"] and hub.server("alice")["state"]["job_id"] == alice_job
    assert hub.server_get("alice", "funicular/api/info").status_code == 200

    # and across a restart: the re-attached hub reads the same hostile records
    hub.stop(signal.SIGTERM)
    hub.start()
    time.sleep(12)
    assert job_state(alice_job) == "RUNNING"
    assert hub.wait_ready("alice", timeout=30)["state"]["job_id"] == alice_job
    assert hub.server_get("alice", "funicular/api/info").status_code == 200


def test_forged_rows_in_a_held_jobs_comment_cancel_nothing_of_anyone_else(hub):
    """Old sweep format %i|%u|%V|%j|%k: mallory's comment named alice's batch job as an
    orphaned notebook job of alice's, and the hub cancelled it, as alice."""
    victim = run("runuser", "-u", "alice", "--", "sbatch", "--parsable", "-p", "mc",
                 "-o", "/dev/null", "-J", "alices-simulation", "--wrap", "sleep 600",
                 cwd="/tmp").stdout.strip()
    try:
        wait_for(lambda: job_state(victim) == "RUNNING", 30, "alice's job to run")
        row = f"{victim}|alice|2020-01-01T00:00:00|funitest-default|funicular funitest alice/"
        held = as_mallory("sbatch", "--parsable", "--hold", "-p", "mc", "-o", "/dev/null",
                          "-J", forged([row]), f"--comment={forged([row])}",
                          "--wrap", "true").stdout.strip()
        try:
            # the sweep runs once the restarted hub is up (and every few seconds here)
            hub.stop(signal.SIGTERM)
            mark = len((hub.dir / "jupyterhub.log").read_text())
            hub.start()
            wait_for(lambda: "orphan sweep:" in (hub.dir / "jupyterhub.log").read_text()[mark:],
                     60, "an orphan sweep")
            time.sleep(2)
            assert job_state(victim) == "RUNNING", "the sweep cancelled alice's job"
            assert job_state(held) == "PENDING"
        finally:
            run("scancel", held, check=False)
    finally:
        run("scancel", victim, check=False)


@pytest.mark.parametrize("user", ["root", "daemon", "slurm"])
def test_system_accounts_are_refused_everywhere(hub, user):
    r = hub.api("POST", f"/users/{user}")
    assert r.status_code in (201, 409), r.text
    try:
        before = run("squeue", "-h", "-u", user, "-o", "%i", check=False).stdout
        r = hub.spawn(user)
        if r.status_code == 202:  # the refusal comes from the start, reported by the hub
            wait_for(lambda: not hub.server(user) or not hub.server(user)["pending"], 30,
                     f"{user}'s start to end")
            assert not hub.server(user), f"{user} got a server"
            assert "system account" in hub.log_tail(200)
        else:
            assert r.status_code == 403 and "system account" in r.text, r.text
        assert run("squeue", "-h", "-u", user, "-o", "%i", check=False).stdout == before
        home = run("getent", "passwd", user).stdout.split(":")[5]
        assert not run("test", "-e", f"{home}/.funicular/test-servers", check=False) \
            .returncode == 0, "the hub wrote into a system account's home"
        # no Slurm token either, with a token of that user's own
        token = hub.user_token(user)
        r = requests.post(hub.url + "hub/api/funicular/slurm-token", timeout=10,
                          headers={"Authorization": f"token {token}"})
        assert r.status_code == 403
    finally:
        hub.api("DELETE", f"/users/{user}")


def test_a_tenant_cannot_take_a_servers_port_on_its_node(hub):
    hub.spawn("alice")
    state = hub.wait_ready("alice")["state"]
    node = run("squeue", "-h", "-j", state["job_id"], "-o", "%B").stdout.strip()
    squat = ("import socket, sys\n"
             "s = socket.socket()\n"
             "try:\n"
             f"    s.bind(({state['host']!r}, {state['port']}))\n"
             "except OSError as e:\n"
             "    sys.exit(f'refused: {e}')\n"
             "print('bound')\n")
    res = run("ip", "netns", "exec", f"funi-{node}", "runuser", "-u", "mallory", "--",
              "python3", "-c", squat, check=False)
    assert res.returncode != 0 and "Address already in use" in res.stderr, res
    assert hub.server_get("alice", "funicular/api/info").json()["hostname"] == node


def test_refused_options_never_replace_the_accepted_ones(hub):
    r = hub.spawn("bob", options={"profile": "no-such-profile"})
    assert r.status_code == 400 and "profile" in r.text, r.text
    # what the admin page, the culler and scripts do: a start without a body
    r = hub.api("POST", "/users/bob/server")
    assert r.status_code in (201, 202), r.text
    hub.wait_ready("bob")


def test_a_server_started_before_a_restart_still_gets_slurm_tokens(hub):
    hub.spawn("alice")
    hub.wait_ready("alice")
    token = secret_env("alice")["JUPYTERHUB_API_TOKEN"]

    def slurm_token():
        return requests.post(hub.url + "hub/api/funicular/slurm-token", timeout=10,
                             headers={"Authorization": f"token {token}"})
    assert slurm_token().status_code == 200
    hub.stop(signal.SIGKILL)
    hub.start()
    hub.wait_ready("alice", timeout=30)
    r = slurm_token()
    assert r.status_code == 200, r.text
    assert r.json()["token"] and r.headers["Cache-Control"] == "no-store"
