"""A full disk under the job store and the transfer journal: a real, size-limited
filesystem made for each test (tmpfs of 256 KiB), filled to the last byte.

A submit the store cannot record leaves nothing (no job, no record, no copy of the
user's store keys); a store that fills right after the scheduler took the job keeps
its record (with the Slurm id) in memory and writes it when there is room, and a
record a stopped server left SUBMITTING is failed, never left SUBMITTING. The keys are
gone as soon as the job has ended, full disk or not. A journal record that cannot be
written leaves the old one whole.

Needs root (mount); CI runs as root.
"""

import asyncio
import contextlib
import errno
import os
import sqlite3
import subprocess

import pytest

from funicular.core.jobs import JobSite, SiteImage
from funicular.core.jobs.build import STAGE_CREDENTIALS
from funicular.core.storage import Journal
from funicular.core.storage.journal import Transfer
from funicular.extension.jobs import service as service_module
from funicular.extension.jobs.backends.base import TaskState
from funicular.extension.jobs.service import JobService
from funicular.extension.jobs.store import JobStore, JobStoreError

from .jobs.standin import Scheduler as _Scheduler

SITE = JobSite(images={"notebook": SiteImage("/img/notebook"), "sim": SiteImage("/img/sim")},
               host_home="/users/alice", stage_image="notebook")
STAGED = {"image": "sim", "partition": "mc", "command": ["./sim"],
          "stage_in": [{"src": "s3://data/in.dat", "dst": "in.dat"}]}
KEYS = {"FUNICULAR_STORE_S3_ENDPOINT": "http://s3", "FUNICULAR_STORE_S3_ACCESS_KEY": "a",
        "FUNICULAR_STORE_S3_SECRET_KEY": "secret"}


@pytest.fixture
def disk(tmp_path):
    """A 256 KiB filesystem of its own, and a way to fill it and to free it again."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a size-limited tmpfs (CI runs the tests as root)")
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs",
                           str(where)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield Disk(str(where))
    finally:
        subprocess.run(["umount", str(where)], check=False)
        if os.path.ismount(where):
            subprocess.run(["umount", "-l", str(where)], check=False)


class Disk:
    def __init__(self, path: str):
        self.path = path
        self.filler = os.path.join(path, "filler")

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (65536, 4096, 512, 1):
                with contextlib.suppress(OSError):
                    while True:
                        os.write(fd, b"\0" * size)
        finally:
            os.close(fd)
        with pytest.raises(OSError) as e, open(os.path.join(self.path, "probe"), "wb") as f:
            f.write(b"\0" * 4096)
            f.flush()
        assert e.value.errno == errno.ENOSPC
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.path, "probe"))

    def free(self) -> None:
        os.unlink(self.filler)


def _service(store_path: str, home, backend=None) -> JobService:
    return JobService(JobStore(store_path, timeout=1), backend or _Scheduler(SITE), SITE,
                      user="alice", home=str(home), store_env=KEYS)


def _stored(path: str, job_id: str) -> tuple | None:
    """What is on disk, read past the service."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT state, backend_id FROM jobs WHERE id = ?",
                          (job_id,)).fetchone()
    finally:
        db.close()


def _keys_left(home) -> list[str]:
    return [os.path.join(d, STAGE_CREDENTIALS) for d, _, files in os.walk(home)
            if STAGE_CREDENTIALS in files]


async def test_a_submit_the_full_store_cannot_record_leaves_nothing(disk, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store_path = os.path.join(disk.path, "jobs.sqlite")
    service = _service(store_path, home)
    try:
        disk.fill()
        with pytest.raises(JobStoreError):
            await service.submit(STAGED)
        assert service.backend.submitted == []  # never reached the scheduler
        assert await service.jobs() == []
        assert _keys_left(home) == []
        assert os.listdir(home / "funicular-jobs") == []
        disk.free()  # room again: submits work
        rec = await service.submit(STAGED)
        assert _stored(store_path, rec.id) == ("PENDING", rec.backend_id)
    finally:
        service.store.close()


async def test_a_disk_that_fills_right_after_a_submit_loses_no_record(disk, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    store_path = os.path.join(disk.path, "jobs.sqlite")
    service = _service(store_path, home)
    service.backend.then = disk.fill
    try:
        rec = await service.submit(STAGED)  # the scheduler has it: not an error
        assert rec.state == "PENDING" and rec.backend_id == "101"
        assert _stored(store_path, rec.id) == ("SUBMITTING", None)  # the disk is full
        listed = await service.jobs()
        assert [(r.id, r.state, r.backend_id) for r in listed] == [(rec.id, "PENDING", "101")]
        assert len(_keys_left(home)) == 1  # the pending job will need them
        # it ends while the disk is still full: the keys go at once
        service.backend.tasks["101"] = [TaskState("101", "FAILED", exit_code="1:0")]
        await service.poll()
        assert (await service.get(rec.id)).state == "FAILED"
        assert _keys_left(home) == []
        assert _stored(store_path, rec.id) == ("SUBMITTING", None)
        disk.free()
        await service.poll()  # room again: written
        assert _stored(store_path, rec.id) == ("FAILED", "101")
    finally:
        service.store.close()
    again = _service(store_path, home)  # a later server reads what happened
    try:
        assert (await again.get(rec.id)).exit_code == "1:0"
    finally:
        again.store.close()


async def test_a_server_that_stopped_on_a_full_disk_leaves_no_submitting_record(
        disk, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    store_path = os.path.join(disk.path, "jobs.sqlite")
    service = _service(store_path, home)
    service.backend.then = disk.fill
    rec = await service.submit(STAGED)
    await service.stop()  # it stops before there is room again: the record is not written
    service.store.close()
    assert _stored(store_path, rec.id) == ("SUBMITTING", None)
    disk.free()
    monkeypatch.setattr(service_module, "SUBMIT_GRACE", 0.0)
    later = _service(store_path, home)
    try:
        await asyncio.sleep(0.01)
        await later.poll()
        settled = await later.get(rec.id)
        assert settled.state == "SUBMIT_FAILED" and settled.final
        assert f"funicular job {rec.id}" in settled.error  # how to find it in Slurm
        assert _stored(store_path, rec.id) == ("SUBMIT_FAILED", None)
        assert _keys_left(home) == []
    finally:
        later.store.close()


def test_a_journal_record_the_full_disk_cannot_take_leaves_the_old_one(disk):
    journal = Journal(os.path.join(disk.path, "journal"))
    t = Transfer.new("file:///a", "file:///b")
    journal.save(t)
    disk.fill()
    t.state, t.error = "failed", "x" * 100000  # bigger than any room left
    with pytest.raises(OSError) as e:
        journal.save(t)
    assert e.value.errno == errno.ENOSPC
    assert journal.load(t.id).state == "queued"
    assert os.listdir(journal.path) == [f"{t.id}.json"]  # no temporary file left
