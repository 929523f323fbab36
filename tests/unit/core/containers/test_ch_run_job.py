"""ch-run-job.sh and Charliecloud's argv: ch-run's storage directory (where 0.31 looks
every image up first) and a SquashFS image's mount point are the user's own, in the
user's private directory on the node, never ch-run's default /var/tmp/$USER.ch, a name
any user of the node can make first (a stand-in "ch-run" records what it was given)."""

import fcntl
import importlib.resources
import os
import pathlib
import subprocess

import pytest

from funicular.core.containers import get_runtime
from funicular.core.containers.base import HELPERS_DIR, ContainerLaunch

CH_RUN_JOB = str(importlib.resources.files("funicular.core") / "ch-run-job.sh")

STAND_IN = """#!/bin/sh
printf '%s\\n' "$@" > "$LOG"
"""


def run(tmp_path, *args, job_id="77", env=()):
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    tmp.chmod(0o1777)
    ch_run = tmp_path / "ch-run"
    ch_run.write_text(STAND_IN)
    ch_run.chmod(0o755)
    log = tmp_path / "log"
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(tmp), "SLURM_JOB_ID": job_id,
           "LOG": str(log), **dict(env)}
    res = subprocess.run([CH_RUN_JOB, str(ch_run), *args], env=env, cwd=work,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return log.read_text().splitlines(), res.stderr


def squashfs(tmp_path) -> str:
    image = tmp_path / "nb.sqfs"
    image.write_bytes(b"hsqs")  # a file: ch-run takes it for SquashFS
    return str(image)


def assert_mine(*dirs: pathlib.Path):
    for d in dirs:
        st = d.lstat()
        assert not d.is_symlink() and d.is_dir()
        assert (st.st_uid, st.st_mode & 0o777) == (os.getuid(), 0o700), d


def test_squashfs_gets_storage_and_mount_point_of_its_own(tmp_path):
    image = squashfs(tmp_path)
    argv, _ = run(tmp_path, "--home", "--set-env", image, "--", "funicular-singleuser")
    base = tmp_path / "tmp" / f"funicular-{os.getuid()}"
    assert argv[0] == f"--storage={base}/ch-storage"
    assert argv[1].startswith(f"--mount={base}/ch-77-")
    assert argv[2:] == ["--home", "--set-env", image, "--", "funicular-singleuser"]
    mnt = pathlib.Path(argv[1].removeprefix("--mount="))
    assert_mine(base, base / "ch-storage", mnt)
    assert list((base / "ch-storage").iterdir()) == []


def test_directory_image_gets_storage_only(tmp_path):
    (tmp_path / "nb").mkdir()
    argv, _ = run(tmp_path, "--cd=/x", str(tmp_path / "nb"), "--", "true", "/a/file")
    base = tmp_path / "tmp" / f"funicular-{os.getuid()}"
    assert argv == [f"--storage={base}/ch-storage", "--cd=/x", str(tmp_path / "nb"), "--",
                    "true", "/a/file"]
    assert sorted(p.name for p in base.iterdir()) == ["ch-storage"]


def test_the_users_own_storage_is_kept(tmp_path):
    argv, _ = run(tmp_path, "/img", "--", "true", env={"CH_IMAGE_STORAGE": "/scratch/me/ch"})
    assert argv == ["/img", "--", "true"]


def test_ended_mount_points_go_others_stay(tmp_path):
    base = tmp_path / "tmp" / f"funicular-{os.getuid()}"
    base.mkdir(parents=True, mode=0o700)
    ended = base / "ch-5-100"  # an ended ch-run's: empty, lock free
    ended.mkdir()
    (base / "ch-5-100.lock").touch()
    busy = base / "ch-6-200"  # a running one's
    busy.mkdir()
    full = base / "ch-7-300"  # not empty: never removed
    full.mkdir()
    (full / "f").write_text("x")
    odd = base / "ch-8 *"
    odd.mkdir()
    with open(base / "ch-6-200.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run(tmp_path, squashfs(tmp_path), "--", "true", job_id="9")
    assert not ended.exists() and not (base / "ch-5-100.lock").exists()
    assert busy.is_dir() and (full / "f").exists() and odd.is_dir()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to plant another user's files")
def test_a_planted_base_is_refused_and_left_alone(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    base = tmp / f"funicular-{os.getuid()}"
    base.mkdir()
    base.chmod(0o777)
    (base / "ch-1-1").mkdir()
    (base / "ch-storage").mkdir()
    for p in (base / "ch-1-1", base / "ch-storage", base):
        os.chown(p, 65534, 65534)
    argv, err = run(tmp_path, squashfs(tmp_path), "--", "true")
    assert "refusing" in err
    storage = pathlib.Path(argv[0].removeprefix("--storage="))
    mnt = pathlib.Path(argv[1].removeprefix("--mount="))
    assert mnt.parent == storage.parent != base and mnt.parent.parent == tmp
    assert_mine(mnt.parent, storage, mnt)
    assert sorted(p.name for p in base.iterdir()) == ["ch-1-1", "ch-storage"]


def launch(image):
    return ContainerLaunch(image=image, command=("funicular-singleuser",), user="alice",
                           home="/home/alice")


@pytest.mark.parametrize("image", ["/apps/nb.sqfs", "/apps/nb"])
def test_every_ch_run_starts_under_the_helper(image):
    argv = get_runtime("charliecloud").argv(launch(image))
    assert argv[:2] == [f"{HELPERS_DIR}/ch-run-job.sh", "ch-run"]
    # the helper's to add, on the node
    assert not any(a.startswith(("-m", "--mount", "-s", "--storage")) for a in argv)
    argv = get_runtime("charliecloud", helpers_dir="/apps/libexec").argv(launch(image))
    assert argv[0] == "/apps/libexec/ch-run-job.sh"
