"""A workshop on the cluster in a box: participants (group "workshop", users ws001...)
get the workshop's profile on its reservation, several servers on one node; the course
material lands in each home at start, the participant's changes survive the next
start, and a reset from the notebook brings back a pristine copy; the instructor (alice,
group "instructors") runs it from the workshop service, and nobody else can."""

import json
import pathlib
import signal

import requests

from .harness import home, passwords, run, wait_for

MATERIAL = "hpc101"



def _job(hub, user: str) -> dict:
    job_id = hub.server(user)["state"]["job_id"]
    fields = run("squeue", "-h", "-j", job_id, "-o", "%v|%a|%N|%C|%m").stdout.strip()
    reservation, account, node, cpus, mem = fields.split("|")
    return {"reservation": reservation, "account": account, "node": node, "cpus": cpus,
            "memory": mem}


def test_participants_share_the_reservation_with_their_material(hub):
    for user in ("ws001", "ws002"):
        run("rm", "-rf", str(home(user) / MATERIAL), *map(str, home(user).glob(
            f"{MATERIAL}.before-reset-*")))
        r = hub.spawn(user)
        assert r.status_code in (201, 202), r.text
    for user in ("ws001", "ws002"):
        hub.wait_ready(user)
        job = _job(hub, user)
        # the workshop's profile, on its reservation: one CPU each, side by side on ws1
        assert job == {"reservation": "workshop", "account": "workshop", "node": "ws1",
                       "cpus": "1", "memory": "768M"}, job
        notebook = home(user) / MATERIAL / "01-welcome.ipynb"
        assert json.loads(notebook.read_text())["cells"][0]["source"].startswith("# Welcome")
        assert notebook.stat().st_uid == int(run("id", "-u", user).stdout)
        assert (home(user) / MATERIAL / "data/temperatures.csv").exists()

    # a participant cannot ask for anything else
    r = hub.spawn("ws003", "", {"profile": "mc-4cpu"})
    assert r.status_code == 400, r.text
    r = hub.spawn("ws003", "", {"profile": "workshop-hpc101", "cpus": 8})
    assert r.status_code == 400, r.text


def _start(hub, user: str) -> None:
    # named explicitly: JupyterHub would reuse the last options sent (the refused ones)
    r = hub.spawn(user, "", {"profile": "workshop-hpc101"})
    assert r.status_code in (201, 202), r.text
    hub.wait_ready(user)


def test_own_work_survives_a_restart_and_reset_brings_back_the_original(hub):
    user = "ws003"
    _start(hub, user)
    notebook = home(user) / MATERIAL / "01-welcome.ipynb"
    original = notebook.read_text()
    run("sudo", "-u", user, "sh", "-c", f"echo my answers > {notebook}")
    hub.stop_server(user)
    wait_for(lambda: hub.server(user) is None, 60, "the server to stop")
    _start(hub, user)
    assert notebook.read_text() == "my answers\n"  # the next start left it alone
    # a hub restart under the running server: its token is known to the hub by id
    hub.stop(signal.SIGKILL)
    hub.start()
    hub.wait_ready(user, timeout=30)

    token = hub.user_token(user)
    r = hub.as_user("POST", user, "funicular/api/material/reset", token)
    assert r.status_code == 200, r.text
    report = r.json()
    assert notebook.read_text() == original
    moved = pathlib.Path(report["moved_to"])
    assert (moved / "01-welcome.ipynb").read_text() == "my answers\n"  # nothing lost
    assert "01-welcome.ipynb" in report["copied"]
    # another user's token cannot reset it
    bob = hub.user_token("bob")
    assert hub.as_user("POST", user, "funicular/api/material/reset", bob).status_code in (
        302, 403, 404)


def participants() -> list[str]:
    """The group: every box user ws001... (the cluster fixture makes 20), read when a
    test runs: at import the fixture has not made them yet."""
    return sorted(u for u in passwords() if u.startswith("ws"))


def _service(hub, method: str, path: str, token: str, **kw):
    return requests.request(method, hub.url + f"services/workshop/{path}", timeout=kw.pop(
        "timeout", 60), headers={"Authorization": f"token {token}"}, allow_redirects=False,
        **kw)


def test_the_instructor_starts_watches_and_ends_the_workshop(hub):
    """A 20-participant workshop end to end, run by alice (group instructors) with her
    own token: the roster, start all (every server ready on the reservation's node, with
    the material in every home), stop one, and end the workshop with no job left."""
    group = participants()
    assert len(group) >= 20
    alice = hub.user_token("alice")
    wait_for(lambda: _service(hub, "GET", "api/roster", alice).status_code == 200, 60,
             "the workshop service to answer")
    roster = _service(hub, "GET", "api/roster", alice).json()
    assert [p["name"] for p in roster["participants"]] == group
    assert all(p["status"] == "no server" for p in roster["participants"])

    r = _service(hub, "POST", "api/start-all", alice)
    assert r.status_code == 202 and r.json()["started"] == group, r.text

    last = {}

    def all_ready():
        # where each runs comes from squeue, which may miss a poll while slurmctld is busy
        # with the room (the page then keeps its last answer): ask until it has answered
        last.update(_service(hub, "GET", "api/roster", alice).json())
        table = last["participants"]
        return all(p["status"] == "ready" and p["node"] == "ws1" for p in table) and table
    try:
        table = wait_for(all_ready, 300, "every participant's server to be ready on ws1",
                         interval=1)
    except AssertionError as e:
        raise AssertionError(f"{e}; the page said {last}") from None
    for p in table:
        assert p["state"] == "RUNNING" and p["job"].isdigit()
        assert p["started"] and p["last_activity"]
        assert _job(hub, p["name"])["reservation"] == "workshop"
        assert (home(p["name"]) / MATERIAL / "01-welcome.ipynb").exists()

    r = _service(hub, "POST", "api/stop/ws002", alice)
    assert r.status_code == 202 and r.json()["stopped"] == ["ws002"]
    wait_for(lambda: hub.server("ws002") is None, 60, "ws002's server to stop")
    assert _service(hub, "POST", "api/stop/alice", alice).status_code == 404  # not one

    r = _service(hub, "POST", "api/end", alice, timeout=320)
    assert r.status_code == 200, r.text
    assert sorted(r.json()["stopped"]) == [u for u in group if u != "ws002"]
    assert r.json()["jobs_left"] == []
    assert run("squeue", "-h", "-u", ",".join(group), "-o", "%i").stdout.strip() == ""
    assert all(hub.server(u) is None for u in group)


def test_only_instructors_get_in(hub):
    bob = hub.user_token("bob")
    r = _service(hub, "GET", "api/roster", bob)
    assert r.status_code == 403, r.text
    ws = hub.user_token("ws001")
    assert _service(hub, "POST", "api/end", ws).status_code == 403


def test_the_room_is_read_a_page_at_a_time_and_only_the_group(hub):
    """The service reads participants from the hub's user listing, page by page; with a
    token that may list everyone (the admin's), it still returns the group only."""
    group = participants()
    import asyncio

    from funicular.core.hubapi import HubClient
    from funicular.workshop.participants import Participants

    api = Participants(HubClient(hub.url + "hub/api", hub.token), "workshop", page_size=7)
    users = asyncio.run(api.list())  # 20 of ours: 3+ pages
    assert sorted(u["name"] for u in users) == group
    assert all("servers" in u for u in users)
