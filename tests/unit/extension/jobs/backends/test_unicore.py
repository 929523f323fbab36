"""The UNICORE job description built from a BatchJob (pure), and what UNICORE cannot do
refused with the reason; the backend's credential: the one the hub hands out for
UNICORE (a JWT of the hub's, or the user's OIDC token), never the Slurm token, sent to
the fake UNICORE in-process (its checks are UNICORE/X's, test_unicore_fake.py) and
asked for afresh when refused. Jobs run end to end against the fake and the real
Slurm in tests/integration/test_jobs_backends.py."""

import time

import pytest
from pyunicore.credentials import JWTToken

from funicular.core.errors import SlurmError, SpecError
from funicular.core.hubapi import ROUTE_UNICORE_TOKEN
from funicular.core.jobs import JobSite, SiteImage, batch_job, from_json
from funicular.core.slurm.rest import sign_jwt
from funicular.extension.jobs.backends.base import TaskState
from funicular.extension.jobs.backends.unicore import STATES, UnicoreJobBackend, description
from tests.integration import unicore_fake

from ...fakehub import FakeHub
from .unicorekit import HUB_DN, FakeProvider, FakeUnicore, auth, issuer

SITE = JobSite(images={"sim": SiteImage("/apps/sim")}, host_home="/users/alice",
               backend="unicore", unicore_url="https://unicore.example.org/SITE/rest/core")


def test_description_carries_the_container_command_and_resources():
    req = from_json({"image": "sim", "partition": "mc", "command": ["python3", "x.py", "$(id)"],
                     "nodes": 2, "tasks_per_node": 4, "gpus": 1, "minutes": 45,
                     "memory_mb": 2048, "account": "physics", "name": "sim"})
    job = batch_job(req, SITE, job_id="j1", user="alice")
    d = description(job, {"HOME": "/users/alice"})
    assert [d["Executable"], *d["Arguments"]] == list(job.command)
    assert d["Arguments"][-3:] == ["python3", "x.py", "$(id)"]
    assert d["Resources"] == {"Queue": "mc", "Nodes": 2, "CPUsPerTask": 1, "TasksPerNode": 4,
                              "Runtime": "45min", "Memory": "2048M", "GPUsPerNode": 1,
                              "Project": "physics"}
    assert d["Job type"] == "batch" and d["Stdout"] == "stdout" and d["Name"] == "sim"
    assert d["Environment"] == {"HOME": "/users/alice"}


def test_arrays_and_dependencies_are_refused_with_the_reason():
    base = {"image": "sim", "partition": "mc", "command": ["true"]}
    sweep = batch_job(from_json({**base, "array": "0-3"}), SITE, job_id="j1", user="alice")
    with pytest.raises(SpecError, match="array: the UNICORE backend runs neither"):
        description(sweep, {})
    after = batch_job(from_json(base), SITE, job_id="j2", user="alice", after_ok=("7",))
    with pytest.raises(SpecError, match="after:"):
        description(after, {})


def test_states_speak_slurm():
    assert STATES["QUEUED"] == "PENDING" and STATES["SUCCESSFUL"] == "COMPLETED"
    assert set(STATES) == {"UNDEFINED", "READY", "STAGINGIN", "QUEUED", "RUNNING",
                           "STAGINGOUT", "SUCCESSFUL", "FAILED"}


# ------------------------------------------------------------------ the credential
KEY, CERT = issuer()
GONE = "00000000-0000-0000-0000-00000000ffff"


def _etd(user: str = "alice") -> str:
    """What the hub mints: pyunicore's JWTToken(etd=True), signed with its key."""
    return JWTToken(f"UID={user}", HUB_DN, KEY, lifetime=300, etd=True).get_token()


def _answer(token: str, kind: str | None = "jwt", life: float = 300) -> tuple[int, dict]:
    body = {"token": token, "expires": time.time() + life}
    return 200, {**body, "kind": kind} if kind else body


@pytest.fixture
async def hub():
    h = FakeHub().start()
    yield h
    h.stop()


@pytest.fixture
async def provider():
    p = FakeProvider({"unicore": "client-secret"})
    yield p
    p.stop()


@pytest.fixture
async def unicore(provider):
    oauth = unicore_fake.OAuth(provider.url + "/introspect", True, "unicore", "client-secret")
    u = FakeUnicore(auth((CERT,), oauth=oauth))
    yield u
    u.stop()


def _backend(hub, unicore) -> UnicoreJobBackend:
    site = JobSite(images=SITE.images, host_home="/users/alice", backend="unicore",
                   unicore_url=unicore.base)
    return UnicoreJobBackend(site, "alice", {"JUPYTERHUB_API_URL": hub.url,
                                             "JUPYTERHUB_API_TOKEN": "server-token"})


def _pending(job_id: str) -> list[TaskState]:
    return [TaskState(key=job_id, state="PENDING")]


async def test_the_hubs_jwt_is_the_credential_and_the_slurm_token_never(hub, unicore):
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(_etd())
    job = unicore.add_job("UID=alice", "alice")
    b = _backend(hub, unicore)
    assert await b.states([job, GONE]) == {job: _pending(job)}
    assert await b.accounting(GONE) == []
    assert {uri for uri, _, _ in hub.requests} == {"/hub/api" + ROUTE_UNICORE_TOKEN}
    assert hub.requests[0][1]["Authorization"] == "token server-token"
    assert len(hub.requests) == 1  # kept while two thirds of its life are left
    # a third left: the next call asks for a fresh one, and sends that
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(fresh := _etd())
    b.tokens._expires = time.time() + 60
    assert await b.states([job]) == {job: _pending(job)}
    assert len(hub.requests) == 2 and b._credential.token == fresh


async def test_the_users_oidc_token_is_the_credential(hub, unicore, provider):
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(provider.provider.issue("alice"), "oidc")
    job = unicore.add_job("UID=alice", "alice")
    assert await _backend(hub, unicore).states([job]) == {job: _pending(job)}
    assert "introspect" in provider.provider.asked  # UNICORE asked the provider


async def test_a_credential_of_no_known_kind_is_not_shown_to_unicore(hub, unicore):
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(_etd(), kind=None)  # the Slurm route's shape
    b = _backend(hub, unicore)
    with pytest.raises(SlurmError, match="no known kind"):
        await b.states([unicore.add_job("UID=alice", "alice")])
    assert b._client is None


async def test_a_refused_credential_is_asked_for_afresh(hub, unicore):
    slurm = sign_jwt(b"cluster-key", "alice", int(time.time()), 600)  # the old reuse
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(slurm)
    job = unicore.add_job("UID=alice", "alice")
    b = _backend(hub, unicore)
    with pytest.raises(SlurmError, match="UNICORE: 403") as e:
        await b.states([job])
    assert slurm not in str(e.value)
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(_etd())
    assert await b.states([job]) == {job: _pending(job)}
    assert len(hub.requests) == 2


async def test_another_users_job_is_not_the_users(hub, unicore):
    hub.answers[ROUTE_UNICORE_TOKEN] = _answer(_etd())
    bobs = unicore.add_job("UID=bob", "bob")
    with pytest.raises(SlurmError, match="UNICORE: 403"):
        await _backend(hub, unicore).states([bobs])
