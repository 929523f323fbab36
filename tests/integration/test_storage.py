"""The storage layer against the box's real Swift: put/get/ls/rm through the Swift and
the S3 API, a 1 GiB transfer that survives the store being stopped under it (upload
and download, through the ``funicular transfer`` CLI), and users kept apart."""

import hashlib
import os
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
