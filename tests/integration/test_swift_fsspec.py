"""``swift://`` for any fsspec user against the box's real Swift: a CSV written through
``fsspec.open`` with the credentials of the environment (as a notebook has them), read
back by a fresh Python that imports only fsspec (the entry point finds funicular), and
through pandas where the venv has it."""

import csv
import io
import os
import subprocess
import sys

import fsspec
import pytest

from funicular.core.storage.stores import get_store
from funicular.core.storage.swiftfs import SwiftFileSystem

from .harness import remove_container, store_credentials

CONTAINER = "funitest-fsspec"
URL = f"swift://{CONTAINER}/run1/table.csv"
ROWS = [["step", "loss"], ["1", "0.93"], ["2", "0.41"]]


@pytest.fixture
def env(cluster, monkeypatch):
    """alice's store variables, as her notebook server has them; the container removed
    after."""
    creds = store_credentials("alice")
    for name, value in creds.to_env().items():
        monkeypatch.setenv(name, value)
    SwiftFileSystem.clear_instance_cache()
    yield creds
    SwiftFileSystem.clear_instance_cache()
    remove_container("alice", CONTAINER)


def test_a_csv_through_fsspec_open_and_pandas(env):
    with fsspec.open(URL, "w", newline="") as f:  # makes the container too
        csv.writer(f).writerows(ROWS)
    info = get_store("swift", env).head(CONTAINER, "run1/table.csv")
    assert info is not None and info.size == len("step,loss\r\n1,0.93\r\n2,0.41\r\n")

    code = (f"import fsspec\nwith fsspec.open({URL!r}, 'r', newline='') as f:\n"
            "    print(f.read(), end='')\n")
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ), timeout=60)
    assert got.returncode == 0, got.stderr
    assert list(csv.reader(io.StringIO(got.stdout))) == ROWS

    try:
        import pandas as pd
    except ImportError:  # not in the box's venv: fsspec.open above is what pandas calls
        return
    pd.DataFrame({"step": [3], "loss": [0.2]}).to_csv(
        f"swift://{CONTAINER}/run1/more.csv", index=False)
    assert pd.read_csv(f"swift://{CONTAINER}/run1/more.csv").to_dict("list") == {
        "step": [3], "loss": [0.2]}
    assert pd.read_csv(URL)["loss"].tolist() == [0.93, 0.41]
