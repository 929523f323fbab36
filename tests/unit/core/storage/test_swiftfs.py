"""``swift://`` through fsspec: found by funicular's entry point, logged in from the
environment when no credentials are given, and a CSV written and read back through
``fsspec.open`` (a stand-in store: no network here; the real round trip is
tests/integration/test_swift_fsspec.py)."""

import csv
import hashlib
import io
import subprocess
import sys

import fsspec
import pytest

from funicular.core.storage import StoreCredentials
from funicular.core.storage.checksum import ObjectInfo
from funicular.core.storage.stores import STORES, get_store
from funicular.core.storage.stores.swift import SwiftStore
from funicular.core.storage.swiftfs import SwiftFileSystem

ENV = {"FUNICULAR_STORE_SWIFT_AUTH_URL": "http://store.invalid/auth/v1.0",
       "FUNICULAR_STORE_SWIFT_USER": "alice:alice", "FUNICULAR_STORE_SWIFT_KEY": "k3y"}
CLI_ENV = {"ST_AUTH": "http://cli.invalid/auth/v1.0", "ST_USER": "bob:bob", "ST_KEY": "b0b"}


@pytest.fixture
def env(monkeypatch):
    """No store variables but those a test sets; no filesystem cached from before."""
    for name in (*ENV, *CLI_ENV):
        monkeypatch.delenv(name, raising=False)
    SwiftFileSystem.clear_instance_cache()
    yield monkeypatch
    SwiftFileSystem.clear_instance_cache()


def test_the_entry_point_gives_fsspec_our_filesystem():
    """Through the installed metadata ("fsspec.specs"), in a fresh interpreter, where
    nothing of funicular was imported before fsspec read its entry points."""
    code = ("import fsspec; cls = fsspec.get_filesystem_class('swift'); "
            "print(cls.__module__, cls.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["funicular.core.storage.swiftfs", "SwiftFileSystem"]
    assert fsspec.get_filesystem_class("swift") is SwiftFileSystem


def test_open_logs_in_from_the_environment(env):
    for name, value in ENV.items():
        env.setenv(name, value)
    fs = fsspec.open("swift://c/k").fs  # builds the filesystem; reads nothing
    assert isinstance(fs, SwiftFileSystem) and isinstance(fs.store, SwiftStore)
    creds = fs.store.creds
    assert (creds.swift_auth_url, creds.swift_user, creds.swift_key) == tuple(ENV.values())


def test_the_swift_clients_variables_do_too(env):
    for name, value in CLI_ENV.items():
        env.setenv(name, value)
    creds = fsspec.open("swift://c/k").fs.store.creds
    assert (creds.swift_auth_url, creds.swift_user, creds.swift_key) == tuple(CLI_ENV.values())
    # funicular's own variables come first
    assert StoreCredentials.from_environment({**CLI_ENV, **ENV}).swift_user == "alice:alice"


def test_given_options_win_and_none_at_all_is_said(env):
    for name, value in ENV.items():
        env.setenv(name, value)
    fs = fsspec.filesystem("swift", swift_auth_url="http://x.invalid/auth/v1.0",
                           swift_user="carol:carol", swift_key="c", skip_instance_cache=True)
    assert fs.store.creds.swift_user == "carol:carol"
    for name in ENV:
        env.delenv(name)
    with pytest.raises(ValueError, match="no credentials.*FUNICULAR_STORE_SWIFT_AUTH_URL"):
        fsspec.filesystem("swift", skip_instance_cache=True)


class FakeStore:
    """What SwiftFileSystem asks of a SwiftStore, in memory."""

    def __init__(self):
        self.objects: dict[tuple[str, str], bytes] = {}
        self.containers: set[str] = set()

    def head(self, container, key):
        data = self.objects.get((container, key))
        return None if data is None else ObjectInfo(len(data), hashlib.md5(data).hexdigest(),
                                                    {})

    def put(self, container, key, body, length, meta, md5=None):
        assert md5 == hashlib.md5(body).hexdigest() and length == len(body)
        self.objects[container, key] = bytes(body)
        return md5

    def get_range(self, container, key, offset, length):
        return self.objects[container, key][offset:offset + length]

    def call(self, what, name, container, key=None):
        if name == "put_container":  # fsspec.open(..., "w") makes the parent first
            self.containers.add(container)
            return None
        assert name == "get_object"
        return {}, self.objects[container, key]


def test_a_csv_round_trip_through_fsspec_open():
    store = FakeStore()
    rows = [["x", "y"], ["1", "2.5"], ["3", "é"]]
    with fsspec.open("swift://results/run1/table.csv", "w", newline="", store=store) as f:
        csv.writer(f).writerows(rows)
    assert store.objects["results", "run1/table.csv"].startswith(b"x,y\r\n")
    assert store.containers == {"results"}
    with fsspec.open("swift://results/run1/table.csv", "r", newline="", store=store) as f:
        assert list(csv.reader(f)) == rows
    fs = SwiftFileSystem(store=store, skip_instance_cache=True)
    assert fs.cat("swift://results/run1/table.csv", start=0, end=3) == b"x,y"
    with fs.open("results/run1/table.csv", "rb", block_size=4) as f:  # ranged reads
        assert io.BufferedReader(f).read() == store.objects["results", "run1/table.csv"]


def test_stores_are_looked_up_by_scheme_and_imported_then():
    assert STORES.names() == ["s3", "swift"]
    creds = StoreCredentials.from_env(ENV)
    store = get_store("swift", creds)
    assert isinstance(store, SwiftStore)
    fs = store.filesystem()  # through fsspec's registry, over the same store
    assert isinstance(fs, SwiftFileSystem) and fs.store is store
    with pytest.raises(ValueError, match="unknown object store 'ftp'; known: s3, swift"):
        get_store("ftp", creds)
    code = ("import sys; import funicular.core.storage.stores as s; "
            "print(sorted(m for m in sys.modules if m.startswith(s.__name__ + '.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['funicular.core.storage.stores.base']"
