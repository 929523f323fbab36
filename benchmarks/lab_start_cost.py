"""What the lab extension and the apps' proxies cost a server's start.

    deploy/local/.state/venv/bin/python benchmarks/lab_start_cost.py [--n 5] [--user alice]

Starts JupyterLab in the box's notebook image (Charliecloud directory image, as the
user, on a loopback port with a token) N times in each of three ways, in turn:

  bare        our lab extension hidden (an empty directory bound over it) and the
              proxies' server extensions (jupyter-server-proxy, the desktop's) off
  extension   Funicular's lab extension, the proxies off
  all         as the image ships it: the extension and the proxies

and prints, per way, the median and range of wall seconds from the start to the
first answer of /lab (the page that lists the lab extensions) and of the server
process's CPU seconds (user + system, /proc/PID/stat) at that moment. The browser's
side (loading the bundle) is not in these figures.
"""

import argparse
import os
import pathlib
import pwd
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BOX = pathlib.Path(os.environ.get("FUNICULAR_BOX", "/var/lib/funicular"))
IMAGE = BOX / "images/notebook"
LABEXT = "opt/jupyter/share/jupyter/labextensions/@funicular"
PROXIES = ("jupyter_server_proxy", "jupyter_remote_desktop_proxy")
TICKS = os.sysconf("SC_CLK_TCK")


def as_user(user: str) -> None:
    if os.geteuid() != 0:
        return
    os.execvp("sudo", ["sudo", "-n", "-u", user, "env", f"FUNICULAR_BOX={BOX}",
                       "LANG=C.UTF-8", sys.executable, str(pathlib.Path(__file__).resolve()),
                       *sys.argv[1:]])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


WAYS = {"bare": (False, False), "extension": (True, False), "all": (True, True)}


def served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=30):
            return True
    except urllib.error.HTTPError as e:
        return e.code != 404
    except OSError:
        return False


def start_once(image: pathlib.Path, way: str, empty: str) -> tuple[float, float]:
    lab_extension, proxies = WAYS[way]
    port, token = free_port(), secrets.token_hex(16)
    user = pwd.getpwuid(os.getuid()).pw_name
    # as Funicular starts it (core/containers/charliecloud.py): the host home at
    # /home/USER, the image's environment, a private /tmp
    argv = ["ch-run", "--home", "--unset-env=*", "--set-env", f"--set-env=HOME=/home/{user}",
            f"--set-env=USER={user}", f"--set-env=JUPYTER_TOKEN={token}", "--private-tmp",
            f"--cd=/home/{user}"]
    if not lab_extension:
        argv += ["-b", f"{empty}:/{LABEXT}"]
    extensions = [] if proxies else [
        f"--ServerApp.jpserver_extensions={name}=False" for name in PROXIES]
    argv += [str(image), "--", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", *extensions]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/lab?token={token}"
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"jupyter lab exited with {proc.returncode}")
            if time.monotonic() - t0 > 120:
                raise SystemExit("jupyter lab did not answer within 120 s")
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    r.read()
                break
            except OSError:
                time.sleep(0.02)
        wall, cpu = time.monotonic() - t0, cpu_seconds(proc.pid)
        # the way is what it says: the proxies answer only where they are on
        answers = served(f"http://127.0.0.1:{port}/server-proxy/servers-info?token={token}")
        if answers != proxies:
            raise SystemExit(f"{way}: the proxies {'answer' if answers else 'are off'}")
        return wall, cpu
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=5)
    p.add_argument("--user", default="alice")
    a = p.parse_args()
    as_user(a.user)
    image = IMAGE.resolve()
    results: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
    with tempfile.TemporaryDirectory() as empty:
        os.chmod(empty, 0o755)
        start_once(image, "all", empty)  # warm the page cache for every way
        for _ in range(a.n):
            for way in WAYS:
                results[way].append(start_once(image, way, empty))
    print(f"image {image.name}, {a.n} starts each, as {a.user}")
    for way, runs in results.items():
        wall = [w for w, _ in runs]
        cpu = [c for _, c in runs]
        print(f"{way:10} wall {statistics.median(wall):.2f} s ({min(wall):.2f}-{max(wall):.2f})"
              f"   cpu {statistics.median(cpu):.2f} s ({min(cpu):.2f}-{max(cpu):.2f})")
    cpu = {way: statistics.median(c for _, c in runs) for way, runs in results.items()}
    print(f"the lab extension adds {cpu['extension'] - cpu['bare']:+.2f} CPU s, the proxies "
          f"{cpu['all'] - cpu['extension']:+.2f} CPU s (median against median)")


if __name__ == "__main__":
    main()
