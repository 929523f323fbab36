"""Start overhead of each container engine against a bare process.

    deploy/local/.state/venv/bin/python benchmarks/container_start.py [--n 50] [--user alice]

Runs `true` N times bare and through each engine installed here, with the argv
Funicular builds (environment allow-list, home, workdir), as the given user, and
prints median and p90 milliseconds per start. Engines that are not installed are
listed as such. A SquashFS image is made from the notebook image on first use.
"""

import argparse
import os
import pathlib
import pwd
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core.containers import ContainerLaunch, get_runtime  # noqa: E402

BOX = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))


def as_user(user: str):
    pw = pwd.getpwnam(user)

    def demote():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "USER": user, "LOGNAME": user,
           "HOME": pw.pw_dir, "LANG": "C.UTF-8"}
    return demote, env, pw.pw_dir


def timed(argv, n, preexec, env) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, preexec_fn=preexec, env=env, check=True, stdout=subprocess.DEVNULL)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--user", default="alice")
    a = p.parse_args()
    preexec, env, home = as_user(a.user)
    image = BOX / "images/notebook"
    rows = [("bare /bin/true", ["/bin/true"])]
    launch = dict(command=("/bin/true",), home=home, workdir=home)
    if shutil.which("ch-run"):
        rows.append(("charliecloud dir", get_runtime("charliecloud").argv(
            ContainerLaunch(image=str(image.resolve()), **launch))))
        sqfs = BOX / "images/notebook.sqfs"
        if shutil.which("mksquashfs") and not sqfs.exists():
            subprocess.run(["mksquashfs", str(image.resolve()), str(sqfs), "-comp", "zstd",
                            "-all-root", "-quiet", "-no-progress"], check=True)
        fuse = pathlib.Path("/dev/fuse")
        if sqfs.exists() and fuse.exists() and os.stat(fuse).st_mode & 0o006:
            rows.append(("charliecloud sqfs", get_runtime("charliecloud").argv(
                ContainerLaunch(image=str(sqfs), **launch))))
        else:
            print("charliecloud sqfs: skipped (/dev/fuse is not usable by users here)")
    if shutil.which("podman"):
        rows.append(("podman", get_runtime("podman", runtime="runc").argv(
            ContainerLaunch(image="localhost/funicular-notebook", **launch))))
    for name in ("podman", "apptainer", "singularity", "sarus", "shifter", "enroot"):
        if not shutil.which(name if name != "enroot" else "enroot"):
            print(f"{name}: not installed here")
    print(f"\nstart of `true`, {a.n} runs each, as {a.user} (milliseconds)")
    print(f"{'':20} {'median':>8} {'p90':>8}")
    for name, argv in rows:
        t = sorted(timed(argv, a.n, preexec, env))
        print(f"{name:20} {statistics.median(t):8.2f} {t[int(0.9 * (len(t) - 1))]:8.2f}")


if __name__ == "__main__":
    main()
