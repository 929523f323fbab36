"""The orphan sweep (spawner/orphans.py): which of this hub's jobs it cancels, and as whom.

Real: JupyterHub's orm on an in-memory SQLite database, whose spawner rows hold the
states the sweep reads; ``sweep`` and its checks.

Stand-in: ``Cluster``, for Slurm: the listing (``active_jobs``), the fresh record of
one job (``job``) and ``cancel``, the three SlurmBackend calls the sweep makes.
"""

import dataclasses
import logging
import time

import pytest
from jupyterhub import orm

from funicular.core.errors import SlurmError
from funicular.core.slurm.jobinfo import QueuedJob
from funicular.spawner import orphans

OLD = time.time() - 3600  # before this test process started
MARK = "funicular funicular alice/"


def job(job_id="41", *, user="alice", submitted=OLD, name="funicular-default",
        comment=f"{MARK} 0123abcd", state="RUNNING") -> QueuedJob:
    return QueuedJob(job_id, user, submitted, name, comment, state)


class Cluster:
    def __init__(self, *jobs: QueuedJob):
        self.listed = list(jobs)
        self.fresh = {j.job_id: j for j in jobs}  # what reading one job again says
        self.cancels: list[tuple[str, str]] = []
        self.error: Exception | None = None

    async def active_jobs(self):
        if self.error:
            raise self.error
        return self.listed

    async def job(self, job_id):
        return self.fresh.get(job_id)

    async def cancel(self, job_id, *, user, signal=None):
        self.cancels.append((job_id, user))


@pytest.fixture(autouse=True)
def hub_running_for_a_day(monkeypatch):
    """The sweep waits out the grace only for jobs younger than the hub process."""
    monkeypatch.setattr(orphans, "PROCESS_START", time.time() - 86400)


@pytest.fixture
def db():
    session = orm.new_session_factory("sqlite://")()
    yield session
    session.close()


def server_state(db, name: str, **state) -> None:
    user = db.query(orm.User).filter_by(name="alice").first()
    if user is None:
        user = orm.User(name="alice")
        db.add(user)
    db.add(orm.Spawner(user=user, name=name, state=state))
    db.commit()


async def sweep(db, cluster, grace=120):
    return await orphans.sweep(db, cluster, "funicular", grace)


async def test_a_job_no_server_knows_is_cancelled_as_its_owner(db):
    server_state(db, "", job_id="7")  # some other job is known
    cluster = Cluster(job(user="bob", comment="funicular funicular bob/ 99"), job("7"))
    assert await sweep(db, cluster) == ["41"]
    assert cluster.cancels == [("41", "bob")]


@pytest.mark.parametrize("state", [{"job_id": "41"}, {"adopt_job_id": "41"},
                                   {"submit_nonce": "0123abcd"}])
async def test_a_job_some_server_knows_stays(db, state):
    server_state(db, "gpu", **state)
    cluster = Cluster(job())
    assert await sweep(db, cluster) == []
    assert cluster.cancels == []


async def test_a_job_younger_than_the_grace_stays(db):
    cluster = Cluster(job(submitted=time.time() - 10))
    assert await sweep(db, cluster, grace=120) == []
    assert await sweep(db, cluster, grace=5) == ["41"]


@pytest.mark.parametrize("candidate", [
    job(submitted=None),  # age unknown
    job(name="other-default"),  # not this hub's prefix
    job(comment="funicular other alice/ 0123abcd"),
    job(comment="my own job"),
])
async def test_foreign_jobs_and_those_of_unknown_age_stay(db, candidate):
    cluster = Cluster(candidate)
    assert await sweep(db, cluster) == []
    assert cluster.cancels == []


async def test_a_job_from_before_the_hub_process_needs_no_grace(db, monkeypatch):
    """No spawn of this process can be about to save it: the hub that did died."""
    cluster = Cluster(job(submitted=time.time() - 10))
    monkeypatch.setattr(orphans, "PROCESS_START", time.time())
    assert await sweep(db, cluster, grace=120) == ["41"]


@pytest.mark.parametrize("fresh", [
    None,  # gone meanwhile
    dict(state="COMPLETED"),
    dict(user="bob"),  # the listing named another owner than the job has
    dict(comment="my own job"),  # the marker was forged in the listing only
    dict(name="mine"),
])
async def test_the_fresh_record_decides(db, fresh):
    listed = job()
    cluster = Cluster(listed)
    cluster.fresh["41"] = None if fresh is None else dataclasses.replace(listed, **fresh)
    assert await sweep(db, cluster) == []
    assert cluster.cancels == []


async def test_a_job_saved_by_a_spawn_meanwhile_stays(db):
    cluster = Cluster(job())
    real_job = cluster.job

    async def read_again(job_id):  # the spawn commits its job id during the sweep
        server_state(db, "", job_id=job_id)
        return await real_job(job_id)

    cluster.job = read_again
    assert await sweep(db, cluster) == []


async def test_a_listing_slurm_refuses_cancels_nothing(db, caplog):
    cluster = Cluster(job())
    cluster.error = SlurmError("slurm_load_jobs error: Socket timed out")
    with caplog.at_level(logging.WARNING, "funicular.spawner"):
        assert await sweep(db, cluster) == []
    assert cluster.cancels == []
    assert "cannot list jobs" in caplog.text and "Socket timed out" in caplog.text


def test_known_jobs_reads_every_servers_state(db):
    server_state(db, "", job_id="1", submit_nonce="n1")
    server_state(db, "gpu", adopt_job_id="2", pending_cancel=[{"job_id": "3"}])
    server_state(db, "idle")
    assert orphans.known_jobs(db) == ({"1", "2"}, {"n1"})
