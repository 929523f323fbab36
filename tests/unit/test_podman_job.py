"""podman-job.sh: each job gets private Podman directories, holds them while it runs,
and clears the ones its user's ended jobs left on the node (a stand-in "podman"
records what it was given)."""

import fcntl
import importlib.resources
import os
import subprocess

PODMAN_JOB = str(importlib.resources.files("funicular.core") / "podman-job.sh")

# records its arguments and the directories it was given, and whether the job's lock
# is held while it runs; "[--global-options] unshare CMD..." runs CMD, as podman does
# in the user's namespace
STAND_IN = """#!/bin/sh
opts=""; while [ "${1#--}" != "$1" ]; do opts="$opts $1"; shift; done
if [ "$1" = unshare ]; then shift; echo "unshare$opts: $*" >> "$LOG"; exec "$@"; fi
echo "podman$opts $* $XDG_RUNTIME_DIR $XDG_DATA_HOME" >> "$LOG"
if flock -n "$XDG_RUNTIME_DIR/../../funicular-podman-$(id -u)-$SLURM_JOB_ID.lock" true
then echo "lock free" >> "$LOG"; else echo "lock held" >> "$LOG"; fi
"""


def run_job(tmp_path, job_id: str) -> list[str]:
    podman = tmp_path / "podman"
    podman.write_text(STAND_IN)
    podman.chmod(0o755)
    log = tmp_path / "log"
    log.unlink(missing_ok=True)
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(tmp_path / "tmp"),
           "SLURM_JOB_ID": job_id, "LOG": str(log)}
    subprocess.run([PODMAN_JOB, str(podman), "--storage-driver=overlay", "run", "--rm", "IMAGE"],
                   env=env, check=True)
    return log.read_text().splitlines()


def test_private_directories_held_while_the_job_runs(tmp_path):
    (tmp_path / "tmp").mkdir()
    lines = run_job(tmp_path, "41")
    job_dir = tmp_path / "tmp" / f"funicular-podman-{os.getuid()}-41"
    assert lines == [f"podman --storage-driver=overlay run --rm IMAGE {job_dir}/run "
                     f"{job_dir}/data", "lock held"]
    assert oct((job_dir / "run").stat().st_mode & 0o777) == "0o700"


def test_ended_jobs_directories_go_running_ones_stay(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    uid = os.getuid()
    ended = tmp / f"funicular-podman-{uid}-7"  # a job that has ended, files left
    (ended / "data" / "containers").mkdir(parents=True)
    (ended / "data" / "containers" / "layer").write_text("x")
    (tmp / f"funicular-podman-{uid}-7.lock").touch()
    older = tmp / f"funicular-podman-{uid}-5"  # left before jobs took locks
    older.mkdir()
    running = tmp / f"funicular-podman-{uid}-8"  # another job of the user, running
    running.mkdir()
    other_user = tmp / f"funicular-podman-{uid + 1}-6"
    other_user.mkdir()
    with open(tmp / f"funicular-podman-{uid}-8.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = run_job(tmp_path, "9")
    assert not ended.exists() and not older.exists()
    assert not (tmp / f"funicular-podman-{uid}-7.lock").exists()
    assert running.is_dir() and other_user.is_dir()
    assert (tmp / f"funicular-podman-{uid}-9").is_dir()
    # removed in the user's namespace, set up with the run's own storage options
    assert lines[0].startswith("unshare --storage-driver=overlay: rm -rf ")
    assert str(ended) in lines[0].split()
    assert lines[-1] == "lock held"
