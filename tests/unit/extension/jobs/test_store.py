"""The job store on a home filesystem: a rollback journal, not WAL (which network
filesystems do not support); its calls in a thread of its own, never blocking the
server's event loop; a damaged file moved aside, with a warning, for a fresh store."""

import asyncio
import logging
import sqlite3
import time

import pytest

from funicular.extension.jobs.store import JobRecord, JobStore, JobStoreError


def _rec(job_id: str = "jabc123abc123", **kw) -> JobRecord:
    return JobRecord(id=job_id, backend="rest", name="x", request={}, dir=f"fj/{job_id}",
                     **kw)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "data/jobs.sqlite")


def _journal_mode(path: str) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()


async def test_the_store_uses_a_rollback_journal_not_wal(path):
    store = JobStore(path)
    await store.put(_rec())
    store.close()
    assert _journal_mode(path) == "delete"


async def test_a_store_left_in_wal_mode_is_turned_back_and_wal_only_on_request(path, tmp_path):
    (tmp_path / "data").mkdir()
    old = sqlite3.connect(path)  # as an older server left it
    old.execute("PRAGMA journal_mode=WAL")
    old.close()
    assert _journal_mode(path) == "wal"
    store = JobStore(path)
    store.close()
    assert _journal_mode(path) == "delete"
    local = JobStore(str(tmp_path / "local.sqlite"), wal=True)  # a node-local disk
    local.close()
    assert _journal_mode(str(tmp_path / "local.sqlite")) == "wal"


async def test_a_damaged_store_is_moved_aside_with_a_warning(path, tmp_path, caplog):
    (tmp_path / "data").mkdir()
    garbage = b"\x00garbage, not a database\xff" * 300
    with open(path, "wb") as f:
        f.write(garbage)
    with open(path + "-journal", "wb") as f:  # its rollback journal must not be replayed
        f.write(b"\x01" * 512)
    with caplog.at_level(logging.WARNING, logger="funicular.jobs"):
        store = JobStore(path)
    try:
        assert store.moved_aside and store.moved_aside.startswith(path + ".damaged-")
        with open(store.moved_aside, "rb") as f:
            assert f.read() == garbage
        assert [r for r in caplog.records if r.levelno == logging.WARNING
                and "damaged" in r.getMessage() and store.moved_aside in r.getMessage()]
        await store.put(_rec())  # a fresh store that works
        assert (await store.get("jabc123abc123")).name == "x"
        assert [r.id for r in await store.recent()] == ["jabc123abc123"]
    finally:
        store.close()


async def test_a_file_damaged_inside_is_moved_aside_too(path):
    store = JobStore(path)
    for n in range(300):
        await store.put(_rec(f"j{n:012x}", error="e" * 200))
    store.close()
    with open(path, "r+b") as f:  # scribble over the pages after the header
        f.seek(4096)
        f.write(b"\xa5" * 16384)
    store = JobStore(path)
    try:
        assert store.moved_aside
        assert await store.recent() == []
    finally:
        store.close()


async def test_a_locked_store_does_not_block_the_event_loop(path):
    store = JobStore(path, timeout=5)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another server of the user, writing
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    tick = asyncio.ensure_future(ticker())
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, other.commit)  # on the loop: only if the loop turns
    began = time.monotonic()
    try:
        await asyncio.wait_for(store.put(_rec()), 10)
    finally:
        tick.cancel()
        other.close()
    waited = time.monotonic() - began
    assert 0.4 < waited < 4, waited
    assert ticks >= 20, ticks  # the loop kept turning while the store waited
    assert (await store.get("jabc123abc123")) is not None
    store.close()


async def test_a_write_the_store_cannot_make_is_a_jobstoreerror(path):
    store = JobStore(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        rec = _rec()
        before = rec.updated
        with pytest.raises(JobStoreError, match="locked"):
            await store.put(rec)
        assert rec.updated == before  # not marked written
    finally:
        other.close()
        store.close()
