"""The storage core without a store: locations, credentials, checksums, and the
transfer engine between local files (the same engine moves objects)."""

import hashlib
import os
import stat
import threading

import pytest

from funicular.core.errors import SpecError
from funicular.core.storage import StoreCredentials, endpoints, mirror, parse
from funicular.core.storage import checksum as ck
from funicular.core.storage.journal import Journal
from funicular.core.storage.transfer import plan, run

KIB = 1024


@pytest.mark.parametrize("url,scheme,container,key", [
    ("swift://data/run1/out.h5", "swift", "data", "run1/out.h5"),
    ("s3://my-bucket/a/", "s3", "my-bucket", "a/"),
    ("swift://data", "swift", "data", ""),
    ("s3://", "s3", "", ""),
    ("file:///scratch/x.bin", "file", "", "/scratch/x.bin"),
    ("/home/alice/x", "file", "", "/home/alice/x"),
])
def test_locations_parse(url, scheme, container, key):
    loc = parse(url)
    assert (loc.scheme, loc.container, loc.key) == (scheme, container, key)
    assert parse(str(loc)) == loc


@pytest.mark.parametrize("url,words", [
    ("http://host/x", "scheme"),
    ("swift://data/a/../b", "'..'"),
    ("swift://data/a//b", "empty"),
    ("swift://data/a\nb", "control"),
    ("s3://UPPER/x", "bucket name"),
    ("swift://../x", "container name"),
    ("swift:///key", "needs a container"),
    ("file://relative/x", "absolute"),
    ("file:///a/../b", "normalised"),
    ("swift://c/" + "k" * 1025, "longer"),
    (42, "must be a location"),
])
def test_bad_locations_are_refused_with_reasons(url, words):
    with pytest.raises(SpecError) as e:
        parse(url, "src")
    assert words in str(e.value) and str(e.value).startswith("src:")


def test_child_names_things_inside():
    assert str(parse("swift://c/dir/").child("f")) == "swift://c/dir/f"
    assert str(parse("swift://c").child("f")) == "swift://c/f"
    assert str(parse("file:///tmp").child("f")) == "file:///tmp/f"


def test_credentials_travel_by_env_and_never_show():
    c = StoreCredentials(swift_auth_url="http://s/auth/v1.0", swift_user="a:a",
                         swift_key="SECRET1", s3_endpoint="http://s", s3_access_key="a:a",
                         s3_secret_key="SECRET2")
    assert "SECRET" not in repr(c)
    assert StoreCredentials.from_env(c.to_env()) == c
    assert c.has("swift") and c.has("s3") and c.has("file")
    with pytest.raises(SpecError, match="no s3 credentials"):
        StoreCredentials().require("s3")


def test_composite_checksums_follow_both_stores_rules():
    parts = [b"a" * 100, b"b" * 50]
    md5s = [hashlib.md5(p).hexdigest() for p in parts]
    s3_rule = hashlib.md5(hashlib.md5(parts[0]).digest() + hashlib.md5(parts[1]).digest())
    slo_rule = hashlib.md5((md5s[0] + md5s[1]).encode())
    assert ck.expected_etags(md5s) == {s3_rule.hexdigest() + "-2", slo_rule.hexdigest()}
    assert ck.composite(md5s[:1]) == md5s[0]
    info = ck.ObjectInfo(size=150, etag=slo_rule.hexdigest(), meta={"funicular-part-size": "100"},
                         large=True)
    assert ck.verify(info, md5s) == "etag"
    with pytest.raises(ck.ChecksumError):
        ck.verify(info, md5s[::-1])
    assert ck.verify(ck.ObjectInfo(150, "x-2", {}, large=True), md5s) is None  # size only


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(1000 * KIB + 123))
    (tmp_path / "out").mkdir()
    return src, tmp_path / "out", Journal(str(tmp_path / "journal"))


FILE = StoreCredentials()


def test_a_multipart_copy_is_whole_and_checked(files):
    src, out, journal = files
    t = plan(str(src), str(out), FILE)
    assert t.dst == f"file://{out}/src.bin"  # a folder gets the source's name
    seen = []
    run(t, FILE, journal, part_size=64 * KIB, progress=lambda t: seen.append(t.bytes_done))
    assert t.state == "done", t.error
    assert (out / "src.bin").read_bytes() == src.read_bytes()
    assert t.checksum.endswith("-16") and t.bytes_moved == t.size
    assert seen[-1] == t.size and seen == sorted(seen)
    assert os.listdir(out) == ["src.bin"]  # no .part left behind
    assert journal.load(t.id).state == "done"
    mode = os.stat(os.path.join(journal.path, f"{t.id}.json")).st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o700


def _failing_after(monkeypatch, n_ok: int):
    """The source stops answering after ``n_ok`` parts (a store going away)."""
    real, count = endpoints.LocalSource.open_part, {"n": 0}

    def open_part(self, offset, length):
        count["n"] += 1
        if count["n"] > n_ok:
            raise ConnectionError("store unreachable")
        return real(self, offset, length)
    monkeypatch.setattr(endpoints.LocalSource, "open_part", open_part)


def test_an_interrupted_copy_resumes_where_it_stopped(files, monkeypatch):
    src, out, journal = files
    t = plan(str(src), str(out / "copy.bin"), FILE)
    with monkeypatch.context() as m:
        _failing_after(m, 5)
        run(t, FILE, journal, part_size=64 * KIB, concurrency=1, attempts=1)
    assert t.state == "interrupted" and "unreachable" in t.error
    assert not (out / "copy.bin").exists()  # never visible half-written
    assert (out / ".copy.bin.funicular-part").exists()
    assert len(t.done) == 5
    t = journal.load(t.id)  # as another process would find it
    run(t, FILE, journal, part_size=64 * KIB)
    assert t.state == "done" and t.runs == 2
    assert (out / "copy.bin").read_bytes() == src.read_bytes()
    assert t.bytes_moved == t.size  # the 5 parts were not moved again


def test_a_damaged_partial_file_is_noticed_on_resume(files, monkeypatch):
    src, out, journal = files
    t = plan(str(src), str(out / "copy.bin"), FILE)
    with monkeypatch.context() as m:
        _failing_after(m, 4)
        run(t, FILE, journal, part_size=64 * KIB, concurrency=1, attempts=1)
    part = out / ".copy.bin.funicular-part"
    with open(part, "r+b") as f:
        f.seek(70 * KIB)  # inside part 1
        f.write(b"garbage")
    run(t, FILE, journal, part_size=64 * KIB)
    assert t.state == "done"
    assert (out / "copy.bin").read_bytes() == src.read_bytes()
    assert t.bytes_moved == t.size + 64 * KIB  # part 1 moved twice


def test_a_changed_source_starts_over(files, monkeypatch):
    src, out, journal = files
    t = plan(str(src), str(out / "copy.bin"), FILE)
    with monkeypatch.context() as m:
        _failing_after(m, 3)
        run(t, FILE, journal, part_size=64 * KIB, concurrency=1, attempts=1)
    src.write_bytes(os.urandom(300 * KIB))
    run(t, FILE, journal, part_size=64 * KIB)
    assert t.state == "done" and t.size == 300 * KIB
    assert (out / "copy.bin").read_bytes() == src.read_bytes()


def test_cancel_leaves_nothing(files):
    src, out, journal = files
    t = plan(str(src), str(out / "copy.bin"), FILE)
    stop = threading.Event()
    run(t, FILE, journal, part_size=64 * KIB, concurrency=1, cancel=stop,
        progress=lambda t: t.done and stop.set())
    assert t.state == "cancelled"
    assert os.listdir(out) == []


def test_one_runner_at_a_time(tmp_path):
    journal = Journal(str(tmp_path))
    with journal.running("abc123"):
        assert journal.is_running("abc123")
        with pytest.raises(BlockingIOError), journal.running("abc123"):
            pass
    assert not journal.is_running("abc123")


def test_plan_refuses_what_cannot_be_copied(tmp_path):
    with pytest.raises(ValueError, match="same"):
        plan(f"{tmp_path}/a", f"{tmp_path}/a", FILE)
    with pytest.raises(SpecError, match="no swift credentials"):
        plan(f"{tmp_path}/a", "swift://c/a", FILE)
    creds = StoreCredentials(swift_auth_url="http://x", swift_user="a:a", swift_key="k")
    with pytest.raises(ValueError, match="does not name an object"):
        plan("swift://c/dir/", str(tmp_path), creds)


@pytest.mark.parametrize("key, rel", [
    ("course/01-welcome.ipynb", "01-welcome.ipynb"),
    ("course/data/t.csv", "data/t.csv"),
    ("course/", None),  # the prefix's own folder marker
    ("course/data/", None),  # a folder marker
    ("course/.answers.txt", None),  # hidden: not handed out
    ("course/.ipynb_checkpoints/a.ipynb", None),
    ("course/a/../../etc/passwd", None),
    ("course//twice", None),
])
def test_what_a_mirror_takes_from_a_prefix(key, rel):
    assert mirror._relative(key, "course/") == rel
