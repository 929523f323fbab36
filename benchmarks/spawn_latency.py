"""Spawn latency: FunicularSpawner vs a bare sbatch of the same server command.

    sudo deploy/local/.state/venv/bin/python benchmarks/spawn_latency.py [--n 10]

Needs the cluster in a box (deploy/local/up --no-hub is enough); starts its own hub
(the test harness's, on ports 18000/18081) and stops it again. Prints, side by side,
median and p90 seconds from request to a server answering HTTP, stop -> allocation
released, and slurmctld RPCs (from sdiag) from request to ready.

Both sides run ``jupyterhub-singleuser`` with the hub's environment for alice's
server, in the same image, under the same engine with the same home: Funicular's
through ``funicular-singleuser`` (which reports the address), the bare
side with the environment of a Funicular server (its own fresh token, read from a
0600 env file inside the job, never argv) and a fixed port. The bare side finds its
node and readiness by polling, as a spawner without a callback must.
"""

import argparse
import pathlib
import re
import statistics
import sys
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core import envfile  # noqa: E402
from funicular.core.containers import ContainerLaunch, get_runtime  # noqa: E402
from funicular.spawner.spawner import LAUNCH_SCRIPT  # noqa: E402
from tests.integration.harness import (  # noqa: E402
    BOX,
    STATE_DIR,
    Hub,
    home,
    job_state,
    run,
    wait_for,
)

ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING"}


def rpc_total() -> int:
    """RPCs slurmctld has served since the last `sdiag --reset`, without sdiag's own
    (REQUEST_STATS_INFO: the reset and this reading)."""
    out = run("sdiag").stdout
    part = out.split("Remote Procedure Call statistics by message type", 1)[-1]
    part = part.split("Remote Procedure Call statistics by user", 1)[0]
    return sum(int(n) for name, n in re.findall(r"(\w+)\s+\(\s*\d+\)\s+count:(\d+)", part)
               if name != "REQUEST_STATS_INFO")


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def funicular_cycle(hub: Hub) -> tuple[float, float, int]:
    run("sdiag", "--reset")
    t0 = time.monotonic()
    r = hub.spawn("alice")
    assert r.status_code in (201, 202), r.text
    if r.status_code == 202:
        hub.wait_ready("alice")
    ready = time.monotonic() - t0
    rpcs = rpc_total()
    job_id = hub.server("alice")["state"]["job_id"]
    t1 = time.monotonic()
    assert hub.stop_server("alice").status_code == 204
    wait_for(lambda: job_state(job_id) not in ACTIVE, 30, "release", interval=0.01)
    return ready, time.monotonic() - t1, rpcs


# inside the bare job: the server's environment from its env file, then the command
_WITH_ENV = """import os, sys
from funicular.core import envfile
os.environ.update(envfile.read(sys.argv[1]))
os.execvp(sys.argv[2], sys.argv[2:])
"""
BARE_ENV = ".funicular/bench-bare/env"


def bare_env(hub: Hub) -> None:
    """The environment of alice's running Funicular server, with a token of its own
    (the server's is revoked when it stops), written as alice, 0600."""
    env = envfile.read(str(home("alice") / STATE_DIR / "default/env"))
    r = hub.api("POST", "/users/alice/tokens", json={"note": "spawn_latency bare side"})
    assert r.status_code == 201, r.text
    env = {k: v for k, v in env.items() if k.startswith("JUPYTERHUB_")}
    env["JUPYTERHUB_API_TOKEN"] = r.json()["token"]
    run("sudo", "-n", "-u", "alice", sys.executable, "-m", "funicular.core.userfiles",
        "write", str(home("alice") / BARE_ENV), input=envfile.render(env))


def bare_cycle(port: int) -> tuple[float, float, int]:
    """What a spawner without a callback does: sbatch, find the node, poll HTTP."""
    runtime = get_runtime("charliecloud", helpers_dir=str(BOX / "libexec"))
    image, user_home = str(BOX / "images/notebook"), str(home("alice"))
    inside = runtime.home_inside(ContainerLaunch(image=image, command=("true",),
                                                 home=user_home, user="alice"))
    argv_in = runtime.argv(ContainerLaunch(
        image=image, home=user_home, user="alice", workdir=inside, env=(("HOME", inside),),
        command=("python3", "-c", _WITH_ENV, BARE_ENV, "jupyterhub-singleuser",
                 "--ip=0.0.0.0", f"--port={port}", "--port-retries=0")))
    argv = ["sudo", "-n", "-H", "-u", "alice", "sbatch", "--parsable", "--job-name=bare",
            "--partition=mc", "--cpus-per-task=1", "--mem=1024M", "--time=60",
            f"--chdir={home('alice')}", "--output=/dev/null", "--no-requeue", LAUNCH_SCRIPT,
            *argv_in]
    run("sdiag", "--reset")
    t0 = time.monotonic()
    job_id = run(*argv).stdout.strip().split(";")[0]

    def node():
        out = run("squeue", "-h", "-j", job_id, "-o", "%T %N").stdout.split()
        return out[1] if len(out) == 2 and out[0] == "RUNNING" else None
    host = wait_for(node, 60, "the bare job to run", interval=0.05)

    def answers():
        try:
            return requests.get(f"http://{host}:{port}/user/alice/api",
                                timeout=1).status_code == 200
        except requests.RequestException:
            return False
    wait_for(answers, 60, "the bare server", interval=0.05)
    ready = time.monotonic() - t0
    rpcs = rpc_total()
    t1 = time.monotonic()
    run("sudo", "-n", "-u", "alice", "scancel", job_id)
    wait_for(lambda: job_state(job_id) not in ACTIVE, 30, "release", interval=0.01)
    return ready, time.monotonic() - t1, rpcs


def measure(name, cycle, n):
    ready, stop, rpcs = [], [], []
    cycle()  # warm-up: page cache, first-run costs
    for _ in range(n):
        r, s, c = cycle()
        rpcs.append(c)
        ready.append(r)
        stop.append(s)
        time.sleep(1)
    return name, ready, stop, rpcs


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10)
    n = p.parse_args().n
    hub = Hub()
    hub.prepare()
    hub.start()
    try:
        r = hub.spawn("alice")
        assert r.status_code in (201, 202), r.text
        hub.wait_ready("alice")
        bare_env(hub)
        assert hub.stop_server("alice").status_code == 204
        rows = [measure("funicular", lambda: funicular_cycle(hub), n),
                measure("bare sbatch", lambda: bare_cycle(18555), n)]
    finally:
        hub.stop_all_servers()
        hub.stop()
        hub.stop_proxy()
    print(f"\nspawn -> ready and stop -> released, {n} cycles each, idle cluster (seconds)")
    print(f"{'':12} {'ready p50':>10} {'ready p90':>10} {'stop p50':>9} {'stop p90':>9} "
          f"{'RPCs/spawn':>11}")
    for name, ready, stop, rpcs in rows:
        print(f"{name:12} {statistics.median(ready):10.2f} {pct(ready, 0.9):10.2f} "
              f"{statistics.median(stop):9.2f} {pct(stop, 0.9):9.2f} "
              f"{statistics.median(rpcs):11.0f}")
    f, b = statistics.median(rows[0][1]), statistics.median(rows[1][1])
    print(f"\nfunicular / bare (median ready): {f / b:.2f}x")


if __name__ == "__main__":
    main()
