"""The server's transfer service with local files (the store does not matter here):
background runs with events, refusals, forgetting, and records a stopped server left."""

import asyncio
import os

import pytest

from funicular.core.storage import Journal, StoreCredentials
from funicular.core.storage.journal import Transfer
from funicular.extension.transfers.service import Conflict, TransferService, UnknownTransfer


@pytest.fixture
def service(tmp_path):
    return TransferService(Journal(str(tmp_path / "journal")), StoreCredentials(),
                           part_size=64 * 1024, concurrency=2)


async def _until_ended(queue: asyncio.Queue, tid: str) -> list[dict]:
    seen = []
    while True:
        event = await asyncio.wait_for(queue.get(), 10)
        seen.append(event["transfer"])
        if event["transfer"]["id"] == tid and event["transfer"]["state"] not in (
                "queued", "running"):
            return seen


async def test_a_transfer_runs_in_the_background_and_reports(service, tmp_path):
    service.start()
    queue = service.changes.listen()
    src = tmp_path / "a.bin"
    src.write_bytes(os.urandom(300 * 1024))
    (tmp_path / "out").mkdir()
    t = await asyncio.to_thread(service.submit, str(src), str(tmp_path / "out"))
    seen = await _until_ended(queue, t.id)
    assert seen[-1]["state"] == "done" and seen[-1]["bytes_done"] == 300 * 1024
    assert any(s["state"] == "running" for s in seen)
    assert (tmp_path / "out/a.bin").read_bytes() == src.read_bytes()
    assert [x.id for x in service.transfers()] == [t.id]
    with pytest.raises(Conflict):
        service.resume(t.id)  # done: nothing to resume
    service.forget(t.id)
    assert service.get(t.id) is None


def test_refusals_change_nothing(service, tmp_path):
    with pytest.raises(ValueError):
        service.submit(str(tmp_path / "x"), str(tmp_path / "x"))
    with pytest.raises(Exception, match="no swift credentials"):
        service.submit("/etc/hostname", "swift://c/")
    with pytest.raises(UnknownTransfer):
        service.cancel("000000000000")
    assert service.transfers() == []


async def test_a_server_that_stopped_leaves_resumable_records(service, tmp_path):
    src = tmp_path / "b.bin"
    src.write_bytes(os.urandom(200 * 1024))
    cut = Transfer.new(f"file://{src}", f"file://{tmp_path}/c.bin")
    cut.state = "running"  # as a killed server left it
    service.journal.save(cut)
    service.start()
    t = service.get(cut.id)
    assert t.state == "interrupted" and "stopped" in t.error
    queue = service.changes.listen()
    service.resume(cut.id)
    assert (await _until_ended(queue, cut.id))[-1]["state"] == "done"
    assert (tmp_path / "c.bin").read_bytes() == src.read_bytes()
