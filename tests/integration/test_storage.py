"""The storage layer against the box's real Swift: put/get/ls/rm through the Swift and
the S3 API, a 1 GiB transfer that survives the store being stopped under it (upload
and download, through the ``funicular transfer`` CLI), and users kept apart."""

import hashlib
import os
import signal
import subprocess
import sys
import threading

import pytest

from funicular.core.storage import Journal, filesystem
from funicular.core.storage.stores import get_store
from funicular.core.storage.transfer import plan
from funicular.core.storage.transfer import run as transfer

from .harness import REPO, remove_container, run, store_credentials, wait_for

MIB = 2**20
creds = store_credentials


@pytest.fixture
def bucket(cluster):
    """A fresh container of alice's (a bucket through S3), emptied and removed after."""
    filesystem("swift", creds("alice")).mkdir("funitest-store")
    yield "funitest-store"
    remove_container("alice", "funitest-store")


def _file(path, size: int) -> str:
    """A file of random bytes; its SHA-256."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(size // (64 * MIB)):
            chunk = os.urandom(64 * MIB)
            h.update(chunk)
            f.write(chunk)
        chunk = os.urandom(size % (64 * MIB))
        h.update(chunk)
        f.write(chunk)
    return h.hexdigest()


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MIB):
            h.update(chunk)
    return h.hexdigest()


@pytest.mark.parametrize("scheme", ["swift", "s3"])
def test_put_get_ls_rm(scheme, bucket, tmp_path):
    c = creds("alice")
    journal = Journal(str(tmp_path / "journal"))
    small, large = tmp_path / "small.txt", tmp_path / "large.bin"
    small.write_text("hello store\n")
    digest = _file(large, 70 * MIB + 5)  # three parts of 32 MiB
    for f in (small, large):
        t = transfer(plan(str(f), f"{scheme}://{bucket}/in/", c), c, journal)
        assert t.state == "done", t.error
        assert "etag" in t.verified
    assert t.checksum.endswith("-3")
    fs = filesystem(scheme, c)
    listed = {e["name"].rsplit("/", 1)[-1]: e["size"] for e in fs.ls(f"{bucket}/in", detail=True)}
    assert listed == {"small.txt": 12, "large.bin": 70 * MIB + 5}
    # back through the other API: one store
    other = "s3" if scheme == "swift" else "swift"
    t = transfer(plan(f"{other}://{bucket}/in/large.bin", str(tmp_path / "back.bin"), c),
                 c, journal)
    assert t.state == "done" and t.verified in ("md5", "etag"), (t.state, t.error, t.verified)
    assert _sha256(tmp_path / "back.bin") == digest
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".funicular-part")]
    store = get_store(scheme, c)
    store.delete(bucket, "in/large.bin")
    store.delete(bucket, "in/small.txt")
    assert fs.ls(f"{bucket}/", refresh=True) == []
    if scheme == "swift":  # an SLO goes with its segments
        assert filesystem("swift", c).ls(f"{bucket}_segments") == []


def test_a_half_written_object_is_never_visible(bucket, tmp_path):
    c = creds("alice")
    src = tmp_path / "x.bin"
    _file(src, 40 * MIB)
    stop = threading.Event()
    t = plan(str(src), f"swift://{bucket}/x.bin", c)
    transfer(t, c, Journal(str(tmp_path / "j")), concurrency=1, cancel=stop,
             progress=lambda t: t.done and stop.set())
    assert t.state == "cancelled"
    assert get_store("swift", c).head(bucket, "x.bin") is None
    assert filesystem("swift", c).ls(f"{bucket}_segments") == []  # cancelled: cleaned up


def test_users_are_kept_apart(bucket, tmp_path):
    alice, bob = creds("alice"), creds("bob")
    filesystem("swift", alice).pipe_file(f"{bucket}/secret.txt", b"alice only")
    for scheme in ("swift", "s3"):
        t = transfer(plan(f"{scheme}://{bucket}/secret.txt", str(tmp_path), bob), bob,
                     Journal(str(tmp_path / "j")))
        assert t.state == "failed" and "no such object" in t.error, t.error
        assert not (tmp_path / "secret.txt").exists()
    with pytest.raises((FileNotFoundError, PermissionError)):
        filesystem("swift", bob).ls(bucket)


def _cli(*argv, **kw):
    return subprocess.Popen([sys.executable, "-m", "funicular.core.storage.cli", *argv],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _store(action: str) -> None:
    run(REPO / "deploy/local/objstore", action, timeout=120)


def _interrupted_then_resumed(src: str, dst: str, journal: Journal, cred_file: str, size: int):
    """``funicular transfer cp`` with the store stopped under it at about a quarter;
    then ``resume`` once the store is back. The record after each step."""
    base = ["--credentials", cred_file, "--journal", journal.path]
    cp = _cli(*base, "cp", src, dst)
    try:
        def a_quarter_moved():  # of the one transfer running
            return next((t for t in journal.all() if t.state == "running"
                         and t.bytes_done >= size // 4), None)
        t = wait_for(a_quarter_moved, 300, "a quarter of the transfer", interval=0.05)
    finally:
        _store("stop")
    try:
        out, err = cp.communicate(timeout=120)
    finally:
        _store("start")
    assert cp.returncode == 1, (out, err)
    t = journal.load(t.id)
    assert t.state == "interrupted" and f"transfer resume {t.id}" in err, (t.state, err)
    assert size // 4 <= t.bytes_done < size
    resume = _cli(*base, "resume", t.id)
    out, err = resume.communicate(timeout=600)
    assert resume.returncode == 0, (out, err)
    return t, journal.load(t.id), out


def test_a_1gib_transfer_survives_the_store_stopping(bucket, tmp_path):
    c = creds("alice")
    size = 1024 * MIB
    src = tmp_path / "big.bin"
    digest = _file(src, size)
    cred_file = tmp_path / "store.env"
    cred_file.write_text("".join(f"{k}={v}\n" for k, v in c.to_env().items()))
    cred_file.chmod(0o600)
    journal = Journal(str(tmp_path / "journal"))

    before, after, out = _interrupted_then_resumed(
        str(src), f"swift://{bucket}/big.bin", journal, str(cred_file), size)
    assert after.state == "done" and after.verified == "etag" and after.runs == 2
    # resumed, not restarted: the parts done before the stop were not sent again
    assert after.bytes_moved <= size + (after.part_size * 4)
    assert after.bytes_moved < 2 * size - before.bytes_done + after.part_size * 4
    assert f"checksum {after.checksum}" in out
    info = get_store("swift", c).head(bucket, "big.bin")
    assert info.size == size and info.large

    down = tmp_path / "down"
    down.mkdir()
    before, after, out = _interrupted_then_resumed(
        f"swift://{bucket}/big.bin", str(down), journal, str(cred_file), size)
    assert after.state == "done" and after.verified == "md5"  # against the object's own sum
    assert after.bytes_moved < 2 * size - before.bytes_done + after.part_size * 4
    assert _sha256(down / "big.bin") == digest
    assert os.listdir(down) == ["big.bin"]


def test_the_cli_lists_shares_and_removes(bucket, tmp_path):
    c = creds("alice")
    cred_file = tmp_path / "store.env"
    cred_file.write_text("".join(f"{k}={v}\n" for k, v in c.to_env().items()))
    cred_file.chmod(0o644)
    p = _cli("--credentials", str(cred_file), "ls", f"swift://{bucket}")
    assert p.wait(60) != 0 and "readable by others" in p.stderr.read()
    cred_file.chmod(0o600)
    filesystem("s3", c).pipe_file(f"{bucket}/note.txt", b"shared note")
    base = ["--credentials", str(cred_file), "--journal", str(tmp_path / "j")]
    out, _ = _cli(*base, "ls", f"s3://{bucket}").communicate(timeout=60)
    assert f"swift://{bucket}/note.txt" not in out and f"s3://{bucket}/note.txt" in out
    for scheme in ("swift", "s3"):
        link, err = _cli(*base, "share", f"{scheme}://{bucket}/note.txt",
                         "--seconds", "60").communicate(timeout=60)
        got = run("curl", "-sf", link.strip(), check=False)
        assert got.stdout == "shared note", (link, err)
    p = _cli(*base, "rm", f"swift://{bucket}/note.txt")
    assert p.wait(60) == 0
    assert filesystem("swift", c).ls(bucket) == []
    p = _cli(*base, "cp", "/etc/hostname", "ftp://x/y")
    assert p.wait(60) == 2 and "scheme" in p.stderr.read()


# ------------------------------------------------------------------ copies that cannot end
def _segments(scheme: str, c, bucket: str) -> list[str]:
    """What an unfinished upload left: Swift's segments, S3's open multipart uploads."""
    if scheme == "swift":
        try:
            return filesystem("swift", c).find(f"{bucket}_segments")
        except FileNotFoundError:
            return []
    s3 = get_store("s3", c).client
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


@pytest.mark.parametrize("scheme", ["swift", "s3"])
def test_a_copy_into_a_missing_container_is_refused(scheme, cluster, tmp_path):
    """Said before anything moves: no record to resume, no segment container, no
    traceback; --create-container makes it."""
    c = creds("alice")
    cred_file = tmp_path / "store.env"
    cred_file.write_text("".join(f"{k}={v}\n" for k, v in c.to_env().items()))
    cred_file.chmod(0o600)
    (tmp_path / "a.txt").write_text("into a new container\n")
    base = ["--credentials", str(cred_file), "--journal", str(tmp_path / "j")]
    missing = f"funitest-missing-{scheme}"
    out, err = (p := _cli(*base, "cp", str(tmp_path / "a.txt"), f"{scheme}://{missing}/")
                ).communicate(timeout=60)
    assert p.returncode == 1, (out, err)
    assert err == (f"funicular: error: container {missing} does not exist "
                   "(--create-container makes it)\n")
    assert Journal(str(tmp_path / "j")).all() == []
    assert not get_store(scheme, c).container_exists(missing)
    assert not get_store("swift", c).container_exists(f"{missing}_segments")
    try:
        p = _cli(*base, "cp", "--create-container", str(tmp_path / "a.txt"),
                 f"{scheme}://{missing}/")
        assert p.wait(60) == 0, p.stderr.read()
        assert get_store(scheme, c).head(missing, "a.txt").size == 21
    finally:
        remove_container("alice", missing)


@pytest.mark.parametrize("scheme", ["swift", "s3"])
def test_a_failure_for_good_removes_what_it_wrote(scheme, bucket, tmp_path):
    """The source goes away after two of three parts: the transfer fails for good, and
    the parts already in the store go (Swift: the segments; S3: the multipart upload
    is aborted)."""
    c = creds("alice")
    src = tmp_path / "gone.bin"
    src.write_bytes(os.urandom(12 * MIB))
    t = plan(str(src), f"{scheme}://{bucket}/gone.bin", c)

    def remove_the_source(t):
        if len(t.done) == 2 and src.exists():
            src.unlink()
    transfer(t, c, Journal(str(tmp_path / "j")), part_size=5 * MIB, concurrency=1,
             progress=remove_the_source)
    assert t.state == "failed" and "No such file" in t.error, (t.state, t.error)
    assert _segments(scheme, c, bucket) == []
    assert get_store(scheme, c).head(bucket, "gone.bin") is None


def test_a_container_removed_under_an_upload_fails_it_for_good(bucket, tmp_path):
    """Swift: the container goes before the manifest is written (404): nothing to
    resume into, so the segments go too."""
    c = creds("alice")
    src = tmp_path / "x.bin"
    src.write_bytes(os.urandom(3 * MIB))
    t = plan(str(src), f"swift://{bucket}/x.bin", c)

    def remove_the_container(t):
        if len(t.done) == 3:
            get_store("swift", c).conn.delete_container(bucket)
    transfer(t, c, Journal(str(tmp_path / "j")), part_size=MIB, concurrency=1,
             progress=remove_the_container)
    assert t.state == "failed" and "404" in t.error, (t.state, t.error)
    assert _segments("swift", c, bucket) == []


def test_ctrl_c_keeps_what_resume_needs(bucket, tmp_path):
    """An interruption is not a failure: the segments stay, and resume sends only the
    rest."""
    c = creds("alice")
    size = 256 * MIB
    src = tmp_path / "big.bin"
    digest = _file(src, size)
    cred_file = tmp_path / "store.env"
    cred_file.write_text("".join(f"{k}={v}\n" for k, v in c.to_env().items()))
    cred_file.chmod(0o600)
    journal = Journal(str(tmp_path / "journal"))
    base = ["--credentials", str(cred_file), "--journal", journal.path, "--part-size", "8"]
    cp = _cli(*base, "--concurrency", "1", "cp", str(src), f"swift://{bucket}/big.bin")
    t = wait_for(lambda: next((t for t in journal.all() if len(t.done) >= 4), None), 120,
                 "four parts", interval=0.05)
    cp.send_signal(signal.SIGINT)
    out, err = cp.communicate(timeout=60)
    assert cp.returncode == 130 and f"transfer resume {t.id}" in err, (out, err)
    t = journal.load(t.id)
    assert t.state == "interrupted" and len(t.done) >= 4, (t.state, t.error)
    assert len(_segments("swift", c, bucket)) >= len(t.done)
    p = _cli(*base, "resume", t.id)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, (out, err)
    after = journal.load(t.id)
    assert after.state == "done" and after.bytes_moved < 2 * size - t.bytes_done + 8 * MIB
    down = tmp_path / "back.bin"
    back = transfer(plan(f"swift://{bucket}/big.bin", str(down), c), c, journal)
    assert back.state == "done" and _sha256(down) == digest
