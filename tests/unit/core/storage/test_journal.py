"""The transfer journal: a damaged record is skipped with a warning naming its file
while every other transfer still lists (through the server's service too); a record is
on disk (fsync) before it replaces the old one, and its directory entry after."""

import json
import logging
import os

import pytest

from funicular.core.storage import Journal, StoreCredentials
from funicular.core.storage.journal import DamagedRecord, Transfer
from funicular.extension.transfers.service import TransferService

BAD = {
    "aaaaaaaaaaa1": {"created": "yesterday"},  # sorted by it: broke the whole list
    "aaaaaaaaaaa2": {"done": ["not", "a", "map"]},
    "aaaaaaaaaaa3": {"size": "12"},
    "aaaaaaaaaaa4": {"state": "exploded"},
    "aaaaaaaaaaa5": {"done": {"one": "md5"}},
    "aaaaaaaaaaa6": {"id": "bbbbbbbbbbbb"},  # another transfer's record under this name
    "aaaaaaaaaaa7": {"ended": True},
}


def _write(journal: Journal, tid: str, record: object) -> str:
    path = os.path.join(journal.path, f"{tid}.json")
    with open(path, "w") as f:
        f.write(record if isinstance(record, str) else json.dumps(record))
    return path


def test_damaged_records_are_skipped_with_a_warning_and_the_rest_listed(tmp_path, caplog):
    journal = Journal(str(tmp_path / "journal"))
    good = [Transfer.new("file:///a", f"file:///b{n}") for n in range(2)]
    for t in good:
        journal.save(t)
    # valid, as another writer may put it: a whole float as an int, parts with their MD5s
    _write(journal, good[1].id, {**good[1].to_json(), "created": 1700000000, "seconds": 0,
                                  "done": {"0": "d41d8cd98f00b204e9800998ecf8427e"}})
    paths = []
    for tid, change in BAD.items():
        paths.append(_write(journal, tid, {**Transfer(id=tid, src="s", dst="d").to_json(),
                                           **change}))
    paths.append(_write(journal, "aaaaaaaaaaa8", "{not json"))
    paths.append(_write(journal, "aaaaaaaaaaa9", "[1, 2]"))
    service = TransferService(journal, StoreCredentials(), part_size=1 << 20, concurrency=1)
    with caplog.at_level(logging.WARNING, logger="funicular.transfers"):
        listed = service.transfers()
        again = service.transfers()
    assert sorted(t.id for t in listed) == sorted(t.id for t in good)
    assert [t.id for t in again] == [t.id for t in listed]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for path in paths:  # each named, once
        assert len([w for w in warnings if path in w]) == 1, (path, warnings)
    assert len(warnings) == len(paths)
    with pytest.raises(DamagedRecord, match="created"):
        journal.load("aaaaaaaaaaa1")
    back = journal.load(good[1].id)
    assert back.created == 1700000000.0 and back.done == {0: "d41d8cd98f00b204e9800998ecf8427e"}


def test_a_record_is_synced_before_it_replaces_the_old_and_its_directory_after(
        tmp_path, monkeypatch):
    journal = Journal(str(tmp_path / "journal"))
    t = Transfer.new("file:///a", "file:///b")
    journal.save(t)
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    # only this journal's files: another test's transfer thread may still be saving
    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        if path.startswith(journal.path):
            calls.append(("fsync", path))
        return real_fsync(fd)

    def replace(src, dst):
        if str(dst).startswith(journal.path):
            calls.append(("replace", str(dst)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    t.state, t.bytes_done = "running", 5
    journal.save(t)
    record = os.path.join(journal.path, f"{t.id}.json")
    kinds = [c[0] for c in calls]
    assert kinds == ["fsync", "replace", "fsync"], calls
    assert calls[0][1].endswith(".tmp") and calls[1][1] == record
    assert calls[2][1] == journal.path  # the directory: the rename itself is durable
    assert journal.load(t.id).bytes_done == 5
    assert sorted(os.listdir(journal.path)) == [f"{t.id}.json"]
