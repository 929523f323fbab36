"""How an upload ends when it cannot finish: a missing container is refused before
anything is written (unless it is to be made), a failure for good removes the parts
written, an interruption keeps them for resume. Against a store in memory that keeps
segments the way Swift does; the real Swift and S3 are tests/integration/test_storage.py."""

import hashlib
import os
import threading

import pytest

from funicular.core import cli as funicular_cli
from funicular.core.storage import Journal, StoreCredentials, endpoints, transfer
from funicular.core.storage.checksum import ObjectInfo
from funicular.core.storage.journal import DamagedRecord, Transfer
from funicular.core.storage.stores import MissingContainer, ObjectStore, StoreError
from funicular.core.storage.transfer import plan, run

KIB = 1024
CREDS = StoreCredentials(swift_auth_url="http://store.invalid/auth/v1.0", swift_user="a:a",
                         swift_key="k")


class MemoryStore(ObjectStore):
    """Containers of objects; an upload's parts in ``<container>_segments`` until it is
    completed. ``refuse``: {(call, n): StoreError} raised on the n-th such call."""

    scheme = "swift"

    def __init__(self, creds=CREDS):
        super().__init__(creds)
        self.containers: dict[str, dict[str, bytes]] = {}
        self.refuse: dict[tuple[str, int], StoreError] = {}
        self.calls: dict[str, int] = {}

    def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        err = self.refuse.get((name, self.calls[name]))
        if err is not None:
            raise err

    def _in(self, container: str) -> dict[str, bytes]:
        if container not in self.containers:
            raise StoreError(f"{container}: 404 Not Found", 404)
        return self.containers[container]

    def container_exists(self, container):
        return container in self.containers

    def create_container(self, container):
        self.containers.setdefault(container, {})

    def head(self, container, key):
        data = self.containers.get(container, {}).get(key)
        return None if data is None else ObjectInfo(len(data), hashlib.md5(data).hexdigest(),
                                                    {})

    def put(self, container, key, body, length, meta, md5=None):
        self._call("put")
        data = body if isinstance(body, bytes) else b"".join(body)
        self._in(container)[key] = data
        return hashlib.md5(data).hexdigest()

    def begin_upload(self, container, key, upload_id, meta):
        self.create_container(f"{container}_segments")
        return upload_id

    def put_part(self, container, key, handle, n, body, length):
        self._call("put_part")
        data = b"".join(body)
        self._in(f"{container}_segments")[f"{key}/{handle}/{n:08d}"] = data
        return hashlib.md5(data).hexdigest()

    def stored_parts(self, container, key, handle):
        prefix = f"{key}/{handle}/"
        return {int(k[len(prefix):]): hashlib.md5(v).hexdigest()
                for k, v in self.containers.get(f"{container}_segments", {}).items()
                if k.startswith(prefix)}

    def complete_upload(self, container, key, handle, parts, meta):
        self._call("complete")
        segs = self.containers[f"{container}_segments"]
        data = b"".join(segs[f"{key}/{handle}/{n:08d}"] for n in range(len(parts)))
        self._in(container)[key] = data
        return hashlib.md5("".join(md5 for md5, _ in parts).encode()).hexdigest()

    def abort_upload(self, container, key, handle):
        segs = self.containers.get(f"{container}_segments", {})
        for name in [k for k in segs if k.startswith(f"{key}/{handle}/")]:
            del segs[name]

    def segments(self, container: str) -> list[str]:
        return sorted(self.containers.get(f"{container}_segments", {}))


@pytest.fixture
def store(monkeypatch):
    """Every swift:// location of the engine, the CLI and the server's service."""
    s = MemoryStore()
    for module in (endpoints, transfer):
        monkeypatch.setattr(module, "get_store", lambda scheme, creds: s)
    return s


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "src.bin"
    path.write_bytes(os.urandom(300 * KIB + 7))  # five parts of 64 KiB
    return path


def _run(t, journal, **kw):
    return run(t, CREDS, journal, part_size=64 * KIB, concurrency=1, attempts=2, **kw)


def test_a_missing_container_is_refused_before_anything_is_written(store, src, tmp_path):
    t = plan(str(src), "swift://results/run1/out.bin", CREDS)
    _run(t, Journal(str(tmp_path / "j")))
    assert (t.state, t.error) == ("failed", "container results does not exist")
    assert store.containers == {}  # not even the segment container
    with pytest.raises(MissingContainer, match="results does not exist .hint."):
        transfer.check_destination(t, CREDS, hint="hint")


@pytest.mark.parametrize("size", [100, 300 * KIB + 7])  # one request; a multipart upload
def test_create_container_makes_it(store, tmp_path, size):
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(size))
    t = plan(str(path), "swift://results/f.bin", CREDS, create_container=True)
    transfer.check_destination(t, CREDS)  # asked to make it: nothing to refuse
    _run(t, Journal(str(tmp_path / "j")))
    assert t.state == "done", t.error
    assert store.containers["results"]["f.bin"] == path.read_bytes()


def test_a_failure_for_good_removes_the_parts_written(store, src, tmp_path):
    store.create_container("c")
    store.refuse[("put_part", 3)] = StoreError("swift: PUT segment 2: 413 quota", 413)
    journal = Journal(str(tmp_path / "j"))
    t = plan(str(src), "swift://c/out.bin", CREDS)
    _run(t, journal)
    assert t.state == "failed" and "413" in t.error
    assert store.segments("c") == [] and t.done == {} and not t.handle
    assert journal.load(t.id).state == "failed"
    # the container went away before the manifest: refused for good too, and cleaned up
    store.refuse.clear()
    store.refuse[("complete", store.calls.get("complete", 0) + 1)] = StoreError(
        "swift: PUT manifest c/out.bin: 404 Not Found", 404)
    _run(t, journal)
    assert t.state == "failed" and "404" in t.error and store.segments("c") == []


def test_an_outage_keeps_the_parts_for_resume(store, src, tmp_path):
    store.create_container("c")
    journal = Journal(str(tmp_path / "j"))
    t = plan(str(src), "swift://c/out.bin", CREDS)
    for attempt in (1, 2):  # the part's retries: 503 both times
        store.refuse[("put_part", 2 + attempt)] = StoreError("swift: 503 Unavailable", 503)
    _run(t, journal)
    assert t.state == "interrupted" and "503" in t.error
    kept = store.segments("c")
    assert len(kept) == 2 and sorted(t.done) == [0, 1]
    _run(t, journal)
    assert t.state == "done", t.error
    assert store.containers["c"]["out.bin"] == src.read_bytes()
    assert t.bytes_moved == src.stat().st_size  # the kept parts were not sent again


def test_interrupt_keeps_and_cancel_drops(store, src, tmp_path):
    store.create_container("c")
    journal = Journal(str(tmp_path / "j"))
    t = plan(str(src), "swift://c/out.bin", CREDS)
    stop = threading.Event()
    _run(t, journal, interrupt=stop, progress=lambda t: len(t.done) >= 2 and stop.set())
    assert t.state == "interrupted" and len(store.segments("c")) == 2
    assert journal.load(t.id).state == "interrupted"
    cancel = threading.Event()
    _run(t, journal, cancel=cancel, progress=lambda t: len(t.done) >= 3 and cancel.set())
    assert t.state == "cancelled" and store.segments("c") == []


def test_the_journal_keeps_the_choice(tmp_path):
    journal = Journal(str(tmp_path))
    t = Transfer.new("file:///a", "swift://c/a", create_container=True)
    journal.save(t)
    assert journal.load(t.id).create_container is True
    bad = {**t.to_json(), "create_container": "yes"}
    with pytest.raises(DamagedRecord, match="create_container"):
        Transfer.from_json(bad)
    old = {k: v for k, v in t.to_json().items() if k != "create_container"}
    assert Transfer.from_json(old).create_container is False  # records of before


def _cli(tmp_path, monkeypatch, *argv):
    for name, value in CREDS.to_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return funicular_cli.main(["transfer", "--journal", str(tmp_path / "j"), *argv])


def test_the_cli_says_so_and_keeps_no_record(store, src, tmp_path, monkeypatch, capsys):
    code = _cli(tmp_path, monkeypatch, "cp", "src.bin", "swift://results/")
    err = capsys.readouterr().err
    assert code == 1
    assert err == ("funicular: error: container results does not exist "
                   "(--create-container makes it)\n")  # one line: no traceback
    assert Journal(str(tmp_path / "j")).all() == [] and store.containers == {}
    assert _cli(tmp_path, monkeypatch, "cp", "--create-container", "src.bin",
                "swift://results/") == 0
    assert store.containers["results"]["src.bin"] == src.read_bytes()


def test_the_cli_says_what_a_failure_for_good_left(store, src, tmp_path, monkeypatch,
                                                   capsys):
    store.create_container("c")
    (tmp_path / "big.bin").write_bytes(os.urandom(2 * 2**20 + 5))  # three parts of 1 MiB
    for n in range(2, 9):  # the first part is written, the second refused
        store.refuse[("put_part", n)] = StoreError("swift: PUT segment: 403 Forbidden", 403)
    assert _cli(tmp_path, monkeypatch, "--part-size", "1", "--concurrency", "1", "cp",
                "big.bin", "swift://c/") == 1
    assert store.calls["put_part"] == 2
    err = capsys.readouterr().err
    assert err.startswith("failed: swift: PUT segment: 403 Forbidden\n(what it wrote was "
                          "removed;")
    assert store.segments("c") == []


def test_the_servers_api_refuses_a_missing_container(store, src, tmp_path):
    from funicular.extension.transfers.service import TransferService
    service = TransferService(Journal(str(tmp_path / "j")), CREDS, part_size=64 * KIB,
                              concurrency=1)
    with pytest.raises(MissingContainer, match="create_container makes it"):
        service.submit(str(src), "swift://results/")
    assert service.transfers() == []
    t = service.submit(str(src), "swift://results/", create_container=True)
    assert t.create_container
