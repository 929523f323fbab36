"""What a server's spawner keeps in the hub's database (spawner/state.py), and the
revocation of its token, on JupyterHub's real orm (in-memory SQLite). No stand-ins."""

import json

import pytest
from jupyterhub import orm

from funicular.spawner.endreason import JobEnd
from funicular.spawner.state import ServerState, revoke_token, token_created, token_id

END = JobEnd(job_id="40", state="TIMEOUT", time_limit="01:00:00", node="n1", log_tail="bye")
PENDING = {"job_id": "39", "token_id": 3, "token_created": "2026-01-01T00:00:00"}


def full() -> ServerState:
    return ServerState(job_id="41", host="10.0.0.5", port=40000, adopt_job_id="38",
                       token_id=7, submit_nonce="0123abcd", pending_cancel=[dict(PENDING)],
                       accepted_options={"profile": "mc-1h"}, last_end=END,
                       end_time="2030-01-01T12:00:00")


def test_dump_and_load_round_trip_through_json():
    state = full()
    dumped = json.loads(json.dumps(state.dump()))  # as the database column holds it
    assert ServerState.load(dumped) == state
    assert dumped["last_end"]["state"] == "TIMEOUT"


def test_an_empty_state_dumps_to_nothing():
    assert ServerState().dump() == {}
    assert ServerState.load({}) == ServerState()


def test_load_drops_pending_cancels_without_a_job():
    state = ServerState.load({"pending_cancel": [PENDING, {"token_id": 4}, "41", None]})
    assert state.pending_cancel == [PENDING]


def test_clear_keeps_what_must_outlive_a_stopped_server():
    state = full()
    state.clear()
    assert state == ServerState(adopt_job_id="38", pending_cancel=[PENDING],
                                accepted_options={"profile": "mc-1h"}, last_end=END)


@pytest.fixture
def db():
    session = orm.new_session_factory("sqlite://")()
    session.add(orm.OAuthClient(identifier="jupyterhub"))
    session.commit()
    yield session
    session.close()


@pytest.fixture
def users(db):
    rows = [orm.User(name=n) for n in ("alice", "bob")]
    db.add_all(rows)
    db.commit()
    return rows


def test_token_id_and_created(db, users):
    token = users[0].new_api_token(note="server")
    row = orm.APIToken.find(db, token)
    assert token_id(db, token) == row.id
    assert token_id(db, "not-a-token") is None and token_id(db, None) is None
    assert token_created(db, row.id) == row.created.isoformat()
    assert token_created(db, row.id + 100) is None and token_created(db, None) is None


def test_revoke_deletes_only_that_users_token(db, users):
    alice, bob = users
    server, own = alice.new_api_token(note="server"), alice.new_api_token(note="own")
    tid = token_id(db, server)
    assert not revoke_token(db, bob.id, tid)  # not bob's
    assert not revoke_token(db, alice.id, None)
    assert orm.APIToken.find(db, server) is not None
    assert revoke_token(db, alice.id, tid)
    assert orm.APIToken.find(db, server) is None and orm.APIToken.find(db, own) is not None
    assert not revoke_token(db, alice.id, tid)  # already gone


def test_revoke_with_created_spares_a_newer_token_with_the_same_id(db, users):
    alice = users[0]
    old = alice.new_api_token(note="server")
    tid = token_id(db, old)
    created = token_created(db, tid)
    db.delete(orm.APIToken.find(db, old))  # JupyterHub deleted it meanwhile...
    db.commit()
    newer = alice.new_api_token(note="the next server")
    assert token_id(db, newer) == tid  # ...and SQLite gave its id to the next token
    assert not revoke_token(db, alice.id, tid, created)
    assert orm.APIToken.find(db, newer) is not None
    assert revoke_token(db, alice.id, tid, token_created(db, tid))


def test_created_reads_back_the_same_after_a_restart(db, users):
    tid = token_id(db, users[0].new_api_token(note="server"))
    created = token_created(db, tid)
    db.expire_all()  # read from the database again, as a restarted hub does
    assert token_created(db, tid) == created
    assert revoke_token(db, users[0].id, tid, created)
