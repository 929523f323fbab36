"""Start overhead of each container engine against a bare process.

    deploy/local/.state/venv/bin/python benchmarks/container_start.py [--n 50] [--user alice]

Starts `date +%s%N` N times bare and through each engine installed here, with the argv
Funicular builds (environment allow-list, home, workdir), as the given user, and
prints median and p90 milliseconds per start. Engines that are not installed are
listed as such. The images are the box's notebook image as a directory, as SquashFS
and in the shared Podman store (deploy/local/up builds all three). Podman runs as the
box runs it in a job (podman-job.sh, one runtime directory for the whole run, as for
one job); its first start in a job, which also starts the pause process, is printed
apart.
"""

import argparse
import os
import pathlib
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core.containers import ContainerLaunch, get_runtime  # noqa: E402

BOX = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))


def as_user(user: str) -> None:
    """Run the rest of this script as the user, through sudo as the hub's become does
    (with the user's own groups and limits, as a job has them)."""
    if os.geteuid() != 0:
        return
    env = [f"FUNICULAR_BOX={BOX}", "LANG=C.UTF-8"]
    os.execvp("sudo", ["sudo", "-n", "-u", user, "env", *env, sys.executable,
                       str(pathlib.Path(__file__).resolve()), *sys.argv[1:]])


def timed(argv, n, env) -> list[float]:
    """Milliseconds from starting argv to the command running in the container (it
    prints the clock), so that an engine's teardown does not count."""
    out = []
    for _ in range(n):
        t0 = time.time_ns()
        res = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
        out.append((int(res.stdout.split()[-1]) - t0) / 1e6)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--user", default="alice")
    a = p.parse_args()
    as_user(a.user)
    home = pwd.getpwuid(os.getuid()).pw_dir
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "USER": a.user, "LOGNAME": a.user,
           "HOME": home, "LANG": "C.UTF-8"}
    image = BOX / "images/notebook"
    clock = ("/bin/date", "+%s%N")
    rows = [("bare", list(clock))]
    launch = dict(command=clock, home=home, workdir=home)
    if shutil.which("ch-run"):
        rows.append(("charliecloud dir", get_runtime("charliecloud").argv(
            ContainerLaunch(image=str(image.resolve()), **launch))))
        sqfs = BOX / "images/notebook.sqfs"
        fuse = pathlib.Path("/dev/fuse")
        if sqfs.exists() and fuse.exists() and os.stat(fuse).st_mode & 0o006:
            rows.append(("charliecloud sqfs", get_runtime("charliecloud").argv(
                ContainerLaunch(image=str(sqfs.resolve()), **launch))))
        else:
            print("charliecloud sqfs: skipped (no image, or /dev/fuse is not usable by users)")
    podman_dir = None
    if shutil.which("podman") and (BOX / "podman").is_dir():
        podman = get_runtime("podman", runtime="runc", image_stores=(str(BOX / "podman"),),
                             mount_program="/usr/bin/fuse-overlayfs", storage_driver="overlay")
        argv = podman.argv(ContainerLaunch(image="localhost/funicular/notebook:latest",
                                           user=a.user, **launch))
        env["SLURM_JOB_ID"] = f"bench{os.getpid()}"  # one runtime directory, as in one job
        podman_dir = pathlib.Path(f"/tmp/funicular-podman-{os.getuid()}-"
                                  f"{env['SLURM_JOB_ID']}")
        first = timed(argv, 1, env)[0]
        print(f"podman: first start in a job (pause process, storage) {first:.0f} ms")
        rows.append(("podman", argv))
    for name in ("apptainer", "singularity", "sarus", "shifter", "enroot"):
        if not shutil.which(name):
            print(f"{name}: not installed here")
    print(f"\nstart to the command running, {a.n} runs each, as {a.user} (milliseconds)")
    print(f"{'':20} {'median':>8} {'p90':>8}")
    for name, argv in rows:
        t = sorted(timed(argv, a.n, env))
        print(f"{name:20} {statistics.median(t):8.2f} {t[int(0.9 * (len(t) - 1))]:8.2f}")
    if podman_dir:  # what Slurm does at the end of a job: the pause process and its files go
        pause = podman_dir / "run/libpod/tmp/pause.pid"
        if pause.is_file():
            os.kill(int(pause.read_text()), signal.SIGTERM)
        shutil.rmtree(podman_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
