"""The notebook server's job service: records that outlive the server, one state for
an array's tasks, submissions refused before anything changes, changes pushed to
listeners. The scheduler here is a recording stand-in (``standin``); the real one is
in tests/integration/test_jobs.py."""

import asyncio
import os
import sqlite3

import pytest

from funicular.core.errors import SlurmError, SpecError
from funicular.extension.jobs.backends.base import TaskState
from funicular.extension.jobs.service import JobService
from funicular.extension.jobs.states import summarize
from funicular.extension.jobs.store import JobRecord, JobStore

from .standin import SITE, Scheduler

GOOD = {"image": "sim", "partition": "mc", "command": ["true"]}


@pytest.fixture
def service(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store = JobStore(str(tmp_path / "data/jobs.sqlite"))
    yield JobService(store, Scheduler(), SITE, user="alice", home=str(home))
    store.close()


def test_summaries_of_plain_jobs_and_arrays():
    assert summarize([TaskState("7", "PENDING", "Priority", start="2026-11-23T14:00:00")]) \
        .expected_start == "2026-11-23T14:00:00"
    s = summarize([TaskState("7_0", "COMPLETED", nodes="mc1", exit_code="0:0"),
                   TaskState("7_1", "RUNNING", nodes="mc2"),
                   TaskState("7_[2-5%2]", "PENDING", "JobArrayTaskLimit")])
    assert s.state == "RUNNING" and s.nodes == "mc2"
    assert s.tasks == {"COMPLETED": 1, "RUNNING": 1, "PENDING": 4}
    s = summarize([TaskState("7_0", "COMPLETED", exit_code="0:0"),
                   TaskState("7_1", "FAILED", exit_code="3:0"),
                   TaskState("7_2", "CANCELLED")])
    assert (s.state, s.exit_code) == ("CANCELLED", "3:0")
    assert summarize([TaskState("7_0", "COMPLETED"), TaskState("7_1", "COMPLETED")]).state \
        == "COMPLETED"
    assert summarize([]).state == "UNKNOWN"


async def test_store_outlives_its_process(tmp_path):
    path = str(tmp_path / "d/jobs.sqlite")
    store = JobStore(path)
    await store.put(JobRecord(id="jabc123abc123", backend="rest", name="x", request={"a": 1},
                              dir="funicular-jobs/jabc123abc123", state="RUNNING",
                              tasks={"R": 1}))
    store.close()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    store = JobStore(path)
    again = await store.get("jabc123abc123")
    store.close()
    assert again.request == {"a": 1} and again.tasks == {"R": 1} and not again.final


async def test_refused_requests_change_nothing(service, tmp_path):
    for bad in ({**GOOD, "command": "true; rm -rf ~"}, {**GOOD, "image": "other"},
                {**GOOD, "after": ["jffffffffffff"]}):
        with pytest.raises(SpecError):
            await service.submit(bad)
    assert await service.jobs() == [] and service.backend.submitted == []
    assert not (tmp_path / "home/funicular-jobs").exists()


async def test_scheduler_refusal_is_recorded_in_its_words(service):
    service.backend.refuse = "Invalid partition name specified"
    with pytest.raises(SlurmError, match="Invalid partition"):
        await service.submit(GOOD)
    (rec,) = await service.jobs()
    assert rec.state == "SUBMIT_FAILED" and rec.final and "Invalid partition" in rec.error


def test_changes_reach_listeners_and_dependencies_map_to_slurm_ids(service):
    async def scenario():
        queue = service.changes.listen()
        first = await service.submit(GOOD)
        second = await service.submit({**GOOD, "after": [first.id]})
        assert service.backend.submitted[1].after_ok == (first.backend_id,)
        service.backend.tasks[first.backend_id] = [TaskState(first.backend_id, "RUNNING",
                                                             nodes="mc1")]
        service.backend.tasks[second.backend_id] = [TaskState(second.backend_id, "PENDING",
                                                              "Dependency")]
        assert await service.poll() is True
        # forgotten by the scheduler: accounting has the end
        del service.backend.tasks[first.backend_id]
        service.backend.acct[first.backend_id] = [TaskState(first.backend_id, "COMPLETED",
                                                            exit_code="0:0")]
        await service.poll()
        await service.poll()  # nothing new: no event
        events = []
        while not queue.empty():
            events.append(queue.get_nowait()["job"])
        return first, second, events

    first, second, events = asyncio.run(scenario())
    seen = [(e["id"], e["state"], e["reason"]) for e in events]
    assert seen[:2] == [(first.id, "PENDING", None), (second.id, "PENDING", None)]
    assert sorted(seen[2:4]) == sorted([(first.id, "RUNNING", None),
                                        (second.id, "PENDING", "Dependency")])
    assert seen[4:] == [(first.id, "COMPLETED", None)]
    assert asyncio.run(service.get(second.id)).reason == "Dependency"
    first = asyncio.run(service.get(first.id))
    assert first.exit_code == "0:0" and first.final


def test_logs_by_offset_tail_and_array_task(service):
    rec = asyncio.run(service.submit(GOOD))
    log = service.path(rec, f"slurm-{rec.backend_id}.log")
    with open(log, "w") as f:
        f.write("one\ntwo\nthree\n")
    first = asyncio.run(service.read_log(rec, 0))
    assert first["data"] == "one\ntwo\nthree\n" and first["offset"] == 14
    with open(log, "a") as f:
        f.write("four\n")
    assert asyncio.run(service.read_log(rec, first["offset"]))["data"] == "four\n"
    assert asyncio.run(service.read_log(rec, tail=2))["data"] == "three\nfour\n"
    sweep = asyncio.run(service.submit({**GOOD, "array": "0-3"}))
    with pytest.raises(SpecError):
        asyncio.run(service.read_log(sweep, 0))
    assert asyncio.run(service.read_log(sweep, 0, task=1))["data"] == ""


def test_exit_code_that_accounting_records_late_still_arrives(service):
    async def scenario():
        job = await service.submit(GOOD)
        service.backend.tasks[job.backend_id] = [TaskState(job.backend_id, "FAILED")]
        await service.poll()  # ended, accounting has nothing yet
        rec = await service.get(job.id)
        assert rec.final and rec.exit_code is None
        service.backend.acct[job.backend_id] = [TaskState(job.backend_id, "FAILED",
                                                          exit_code="3:0")]
        assert await service.poll() is True  # still looking for it
        assert (await service.get(job.id)).exit_code == "3:0"
        assert await service.poll() is False  # nothing left to look for
    asyncio.run(scenario())


async def test_a_store_that_takes_no_write_after_the_submit_loses_no_record(tmp_path):
    """The store locked by another process for longer than its timeout, right after
    the scheduler took the job: the record stays in memory with its Slurm id, and is
    written once the store takes writes again (test_full_disk.py: the same, full)."""
    home = tmp_path / "home"
    home.mkdir()
    path = str(tmp_path / "data/jobs.sqlite")
    service = JobService(JobStore(path, timeout=0.1), Scheduler(), SITE, user="alice",
                         home=str(home))
    other = sqlite3.connect(path, isolation_level=None)
    service.backend.then = lambda: other.execute("BEGIN IMMEDIATE")  # readers may read
    try:
        rec = await service.submit(GOOD)
        assert (rec.state, rec.backend_id) == ("PENDING", "101")
        assert [(r.id, r.state) for r in await service.jobs()] == [(rec.id, "PENDING")]
        assert await service.poll() is True
        other.commit()
        await service.poll()
        stored = other.execute("SELECT state, backend_id FROM jobs").fetchall()
        assert stored == [("PENDING", "101")]
    finally:
        other.close()
        service.store.close()


async def test_a_record_of_another_scheduler_stops_no_other_jobs_news(service):
    """alice's store keeps a UNICORE job from before the site moved to Slurm: its id is
    no Slurm id, and the Slurm backend is never asked about it (nor told to cancel
    it); her Slurm jobs' news arrives all the same."""
    await service.store.put(JobRecord(id="jold", backend="unicore", name="old",
                                      request=GOOD, dir="funicular-jobs/jold",
                                      state="RUNNING", backend_id="014df7ba-cedd"))
    asked = []
    states = service.backend.states

    async def slurm_only(ids):
        asked.extend(ids)
        if any(not i.isdigit() for i in ids):
            raise SlurmError(f"bad Slurm job id {ids!r}")
        return await states(ids)
    service.backend.states = slurm_only
    job = await service.submit(GOOD)
    service.backend.tasks[job.backend_id] = [TaskState(job.backend_id, "COMPLETED",
                                                       exit_code="0:0")]
    await service.poll()
    assert (await service.get(job.id)).state == "COMPLETED"
    assert asked == [job.backend_id]
    with pytest.raises(SpecError, match="ran through unicore"):
        await service.cancel("jold")
    assert (await service.get("jold")).state == "RUNNING"  # left as it was
