"""podman-job.sh: each job gets private Podman directories, holds them while it runs,
and clears the ones its user's ended jobs left on the node (a stand-in "podman"
records what it was given). The directories live in the user's private directory on
the node, never under a name in the shared /tmp that another user could make first;
names planted there by someone else are neither used nor removed."""

import fcntl
import importlib.resources
import os
import pathlib
import subprocess

import pytest

PODMAN_JOB = str(importlib.resources.files("funicular.core") / "podman-job.sh")

# records its arguments and the directories it was given, and whether the job's lock
# is held while it runs; "[--global-options] unshare CMD..." runs CMD, as podman does
# in the user's namespace
STAND_IN = """#!/bin/sh
opts=""; while [ "${1#--}" != "$1" ]; do opts="$opts $1"; shift; done
if [ "$1" = unshare ]; then shift; echo "unshare$opts: $*" >> "$LOG"; exec "$@"; fi
echo "podman$opts $* $XDG_RUNTIME_DIR $XDG_DATA_HOME" >> "$LOG"
if flock -n "$XDG_RUNTIME_DIR/../../podman-$SLURM_JOB_ID.lock" true
then echo "lock free" >> "$LOG"; else echo "lock held" >> "$LOG"; fi
"""


def shared_tmp(tmp_path) -> pathlib.Path:
    """A stand-in for the node's /tmp: writable by everyone, sticky."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    tmp.chmod(0o1777)
    return tmp


def run_job(tmp_path, job_id: str, check: bool = True) -> list[str]:
    podman = tmp_path / "podman"
    podman.write_text(STAND_IN)
    podman.chmod(0o755)
    log = tmp_path / "log"
    log.unlink(missing_ok=True)
    work = tmp_path / "work"  # the job's working directory (a notebook's: the home)
    work.mkdir(exist_ok=True)
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path / "tmp"),
           "SLURM_JOB_ID": job_id, "LOG": str(log)}
    res = subprocess.run([PODMAN_JOB, str(podman), "--storage-driver=overlay", "run", "--rm",
                          "IMAGE"], env=env, cwd=work, capture_output=True, text=True)
    if check:
        assert res.returncode == 0, res.stderr
    return log.read_text().splitlines() if log.exists() else [res.stderr]


def base_of(tmp_path) -> pathlib.Path:
    return tmp_path / "tmp" / f"funicular-{os.getuid()}"


def job_dirs(lines: list[str]) -> tuple[pathlib.Path, pathlib.Path]:
    """XDG_RUNTIME_DIR and XDG_DATA_HOME the stand-in saw."""
    podman = next(line for line in lines if line.startswith("podman "))
    run, data = podman.split()[-2:]
    return pathlib.Path(run), pathlib.Path(data)


def assert_private(tmp_path, lines: list[str]):
    """The job ran in a directory of its own inside a private directory of the user's:
    owned by the user, 0700, not a symlink, and not the shared /tmp itself."""
    run, data = job_dirs(lines)
    assert run.parent == data.parent
    job, base = run.parent, run.parent.parent
    assert base != tmp_path / "tmp" and base.parent == tmp_path / "tmp"
    for d in (base, job, run, data):
        st = d.lstat()
        assert not d.is_symlink() and d.is_dir()
        assert (st.st_uid, st.st_mode & 0o777) == (os.getuid(), 0o700), d


def plant_home_files(tmp_path) -> list[pathlib.Path]:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    files = [work / "thesis.tex", work / "data.csv", work / "x"]
    for f in files:
        f.write_text("precious")
    return files


def test_private_directories_held_while_the_job_runs(tmp_path):
    shared_tmp(tmp_path)
    lines = run_job(tmp_path, "41")
    job_dir = base_of(tmp_path) / "podman-41"
    assert lines == [f"podman --storage-driver=overlay run --rm IMAGE {job_dir}/run "
                     f"{job_dir}/data", "lock held"]
    assert_private(tmp_path, lines)


def test_ended_jobs_directories_go_running_ones_stay(tmp_path):
    shared_tmp(tmp_path)
    base = base_of(tmp_path)
    base.mkdir(mode=0o700)
    ended = base / "podman-7"  # a job that has ended, files left
    (ended / "data" / "containers").mkdir(parents=True)
    (ended / "data" / "containers" / "layer").write_text("x")
    (base / "podman-7.lock").touch()
    older = base / "podman-5"  # no lock file
    older.mkdir()
    running = base / "podman-8"  # another job of the user, running
    running.mkdir()
    with open(base / "podman-8.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = run_job(tmp_path, "9")
    assert not ended.exists() and not older.exists()
    assert not (base / "podman-7.lock").exists()
    assert running.is_dir()
    assert (base / "podman-9").is_dir()
    # removed in the user's namespace, set up with the run's own storage options, each
    # directory one argument
    assert lines[0].startswith("unshare --storage-driver=overlay: rm -rf -- ")
    assert str(ended) in lines[0].split() and str(older) in lines[0].split()
    assert lines[-1] == "lock held"


def test_a_planted_name_that_globs_removes_nothing(tmp_path):
    """Bob made /tmp/funicular-podman-<alice's uid>-x * (a space and a glob character):
    the old script split and globbed it, in the job's working directory (the home)."""
    tmp = shared_tmp(tmp_path)
    uid = os.getuid()
    planted = [tmp / f"funicular-podman-{uid}-x *", tmp / f"funicular-podman-{uid}-1 *"]
    for p in planted:
        p.mkdir()
        (p / "keep").write_text("bob's")
    files = plant_home_files(tmp_path)
    lines = run_job(tmp_path, "12")
    assert all(f.read_text() == "precious" for f in files)
    assert all((p / "keep").read_text() == "bob's" for p in planted)
    assert not any(line.startswith("unshare") for line in lines)
    assert_private(tmp_path, lines)


def test_odd_names_in_the_private_directory_are_quoted(tmp_path):
    """Even in the user's own directory (their containers write there), a name is one
    argument, and only podman-<job id> directories are ever removed."""
    shared_tmp(tmp_path)
    base = base_of(tmp_path)
    base.mkdir(mode=0o700)
    (base / "podman-3 *").mkdir()
    (base / "podman-x").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f").write_text("keep")
    (base / "podman-4").symlink_to(elsewhere)
    files = plant_home_files(tmp_path)
    lines = run_job(tmp_path, "13")
    assert all(f.read_text() == "precious" for f in files)
    assert (base / "podman-3 *").is_dir() and (base / "podman-x").is_dir()
    assert (base / "podman-4").is_symlink() and (elsewhere / "f").read_text() == "keep"
    assert_private(tmp_path, lines)


def test_planted_symlinks_are_not_followed(tmp_path):
    """A symlink at the job's predictable name, or at the user's base: the job's
    directories are never made through it."""
    tmp = shared_tmp(tmp_path)
    uid = os.getuid()
    target = tmp_path / "bobs"
    target.mkdir()
    (tmp / f"funicular-podman-{uid}-21").symlink_to(target)
    (tmp / f"funicular-{uid}").symlink_to(target)
    lines = run_job(tmp_path, "21")
    assert list(target.iterdir()) == []
    assert (tmp / f"funicular-{uid}").is_symlink()
    assert_private(tmp_path, lines)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to plant another user's files")
def test_directories_of_another_user_are_neither_used_nor_removed(tmp_path):
    """nobody made the user's base and the job's predictable directory first, open to
    all: the job runs in a fresh private directory, and says why; theirs stay as
    they are."""
    tmp = shared_tmp(tmp_path)
    uid = os.getuid()
    nobody = 65534
    planted = [tmp / f"funicular-podman-{uid}-31", base_of(tmp_path)]
    for p in planted:
        p.mkdir(mode=0o777)
        p.chmod(0o777)
        (p / "podman-2").mkdir()  # looks like an ended job's
        (p / "podman-2" / "f").write_text("theirs")
        os.chown(p / "podman-2" / "f", nobody, nobody)
        os.chown(p / "podman-2", nobody, nobody)
        os.chown(p, nobody, nobody)
    files = plant_home_files(tmp_path)
    lines = run_job(tmp_path, "31")
    assert all(f.read_text() == "precious" for f in files)
    for p in planted:
        assert (p.stat().st_uid, p.stat().st_mode & 0o777) == (nobody, 0o777)
        assert sorted(q.name for q in p.iterdir()) == ["podman-2"]
        assert (p / "podman-2" / "f").read_text() == "theirs"
    assert_private(tmp_path, lines)


@pytest.mark.parametrize("mode", [0o777, 0o755, 0o1777])
def test_a_base_with_other_permissions_is_refused(tmp_path, mode):
    """The user's base, but open to others (made so before, or changed): names in it
    may be anyone's, so the job neither uses it nor removes anything in it."""
    shared_tmp(tmp_path)
    base = base_of(tmp_path)
    base.mkdir()
    base.chmod(mode)
    (base / "podman-2").mkdir()  # looks like an ended job's
    (base / "podman-2" / "f").write_text("keep")
    files = plant_home_files(tmp_path)
    podman = tmp_path / "podman"
    lines = run_job(tmp_path, "32")
    assert all(f.read_text() == "precious" for f in files)
    assert (base / "podman-2" / "f").read_text() == "keep"
    assert sorted(q.name for q in base.iterdir()) == ["podman-2"]
    assert base.stat().st_mode & 0o7777 == mode
    assert not any(line.startswith("unshare") for line in lines)
    assert_private(tmp_path, lines)
    assert podman.exists()


def test_refusal_is_explained(tmp_path):
    tmp = shared_tmp(tmp_path)
    (tmp / f"funicular-{os.getuid()}").write_text("not a directory")
    podman = tmp_path / "podman"
    podman.write_text(STAND_IN)
    podman.chmod(0o755)
    res = subprocess.run([PODMAN_JOB, str(podman), "run", "IMAGE"], capture_output=True,
                         text=True, env={"PATH": os.environ["PATH"], "TMPDIR": str(tmp),
                                         "SLURM_JOB_ID": "5", "LOG": str(tmp_path / "log")})
    assert res.returncode == 0
    assert f"refusing {tmp}/funicular-{os.getuid()}: not a directory" in res.stderr
