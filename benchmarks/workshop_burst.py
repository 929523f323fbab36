"""A workshop's burst: N participants click Start within a few seconds, with
FunicularSpawner and with batchspawner's SlurmSpawner, one after the other.

    deploy/local/up --no-hub --users 50
    deploy/local/.state/venv/bin/python benchmarks/workshop_burst.py [--n 50] [--within 10]
        [--spawners funicular,batchspawner]

Each side gets a hub of its own (the test harness's) with production intervals
(JupyterHub polls each server every 30 s; FunicularSpawner asks Slurm once per 30 s
for all of them, batchspawner once per server) and the same job: the workshop's
reservation, account and resources, `jupyterhub-singleuser` in the same Charliecloud
image (batchspawner's side: benchmarks/batchspawner_config.py). N spawns of the
workshop's participants (ws001...) are spread evenly over --within seconds.

Printed for both: ready time per participant (from its click) p50/p90/max and failed
spawns; the p95 latency of a cheap hub API call (GET /hub/api/, every 0.2 s) during
the burst; slurmctld's RPCs during the burst and per running server per minute after
it (from `sdiag`, without sdiag's own); the hub's CPU seconds for the burst. Then
every server is stopped and the script waits until Slurm holds no participant job.
"""

import argparse
import dataclasses
import datetime
import os
import pathlib
import re
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from benchmarks.slurm_load import rpc_counts  # noqa: E402
from tests.integration.harness import REPO, Hub, passwords, run  # noqa: E402

SIDES = {  # name: how its hub is started and what a click sends
    "funicular": (dict(name="burst-hub", port_offset=200, job_prefix="funiburst"),
                  {"profile": "workshop-hpc101"}),
    "batchspawner": (dict(name="burst-batchspawner", port_offset=300,
                          config=REPO / "benchmarks/batchspawner_config.py"), {}),
}


@dataclasses.dataclass
class Result:
    spawner: str
    ready: dict[str, float]
    failed: dict[str, str]
    latencies: list[float]
    hub_cpu: float
    burst_seconds: float
    burst_rpcs: dict[str, int]
    steady_rpcs: dict[str, int]
    running: int
    left: int = -1
    end_seconds: float = float("nan")


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def slurm_rpcs() -> dict[str, int]:
    """RPCs since the last `sdiag --reset`, less sdiag's own (the reset and this read)."""
    return {k: v for k, v in rpc_counts().items() if k != "REQUEST_STATS_INFO"}


READY = re.compile(r"^\[I (\S+ \S+) JupyterHub [\w.]+:\d+\] User (\S+) took [\d.]+ seconds "
                   r"to start", re.M)
FAILED = re.compile(r"^\[[EW] (\S+ \S+) JupyterHub [\w.]+:\d+\] (?:Unhandled error starting |"
                    r"Error starting |Not starting )?(\w+)'s server ?(?:failed to start|never "
                    r"showed up|:)", re.M)


class HubLog:
    """What the hub's log says of each spawn, read as it grows: the hub's own note of
    when a server was ready, at no cost to the hub (asking its API 4 times a second
    for 50 users cost it 15 CPU seconds, taken from the notebooks)."""

    def __init__(self, path: pathlib.Path):
        self.path, self.offset = path, path.stat().st_size

    def read(self) -> tuple[dict[str, float], dict[str, str]]:
        """{user: epoch seconds it was ready}, {user: why it failed} since the last read."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        data = data[:data.rfind(b"\n") + 1]  # whole lines only
        self.offset += len(data)
        text = data.decode("utf-8", errors="replace")
        ready = {m[2]: _epoch(m[1]) for m in READY.finditer(text)}
        failed = {m[2]: m[0].split("] ", 1)[1][:200] for m in FAILED.finditer(text)}
        return ready, failed


def _epoch(stamp: str) -> float:
    return datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.UTC).timestamp()


def participant_jobs(users: list[str]) -> list[str]:
    return run("squeue", "-h", "-u", ",".join(users), "-o", "%i").stdout.split()


def burst(spawner: str, users: list[str], a) -> Result:
    hub_args, options = SIDES[spawner]
    hub = Hub(**hub_args, FUNICULAR_POLL_INTERVAL=30, FUNICULAR_STATUS_INTERVAL=30,
              FUNICULAR_IDLE_TIMEOUT=0)
    hub.prepare()
    hub.start()
    latencies: list[float] = []
    stop_probe = threading.Event()

    def probe():
        while not stop_probe.is_set():
            t0 = time.perf_counter()
            try:
                requests.get(hub.url + "hub/api/", timeout=10)
                latencies.append(time.perf_counter() - t0)
            except requests.RequestException:
                latencies.append(10.0)
            stop_probe.wait(0.2)

    clicked: dict[str, float] = {}
    ready: dict[str, float] = {}
    failed: dict[str, str] = {}
    result = None
    print(f"{spawner}: {len(users)} participants click Start within {a.within:.0f} s ...",
          flush=True)
    try:
        log = HubLog(hub.dir / "jupyterhub.log")
        run("sdiag", "--reset")
        cpu0 = cpu_seconds(hub.proc.pid)
        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        began = time.monotonic()

        def click(i: int, user: str):
            time.sleep(max(0.0, began + i * a.within / len(users) - time.monotonic()))
            clicked[user] = time.time()  # against the hub log's clock
            try:
                r = hub.spawn(user, "", options)
            except requests.RequestException as e:  # batchspawner answers when ready
                failed[user] = f"no answer: {e}"
                return
            if r.status_code not in (201, 202):
                failed[user] = f"HTTP {r.status_code}: {r.text[:200]}"
        clickers = [threading.Thread(target=click, args=(i, u), daemon=True)
                    for i, u in enumerate(users)]
        for t in clickers:
            t.start()
        deadline = time.monotonic() + a.timeout
        while len(ready) + len(failed) < len(users) and time.monotonic() < deadline:
            time.sleep(0.5)
            now_ready, now_failed = log.read()
            for user, at in now_ready.items():
                if user in clicked:
                    ready[user] = at - clicked[user]
            failed.update({u: why for u, why in now_failed.items() if u in clicked})
        burst_seconds = time.monotonic() - began
        stop_probe.set()
        cpu1 = cpu_seconds(hub.proc.pid)
        burst_rpcs = slurm_rpcs()
        run("sdiag", "--reset")
        time.sleep(a.window)
        steady = slurm_rpcs()
        running = sum(1 for u in users if (hub.server(u) or {}).get("ready"))
        result = Result(spawner, ready, failed, latencies, cpu1 - cpu0, burst_seconds,
                        burst_rpcs, steady, running)
    finally:
        stop_probe.set()
        t0 = time.monotonic()
        stoppers = [threading.Thread(target=hub.api, args=("DELETE", f"/users/{u}/server"),
                                     kwargs={"timeout": 120}) for u in users]
        for t in stoppers:  # the end of the workshop: every server, then Slurm empty
            t.start()
        for t in stoppers:
            t.join()
        wait_until(lambda: not participant_jobs(users), 300)
        if result is not None:
            result.left = len(participant_jobs(users))
            result.end_seconds = time.monotonic() - t0
        hub.stop()
        hub.stop_proxy()
    return result


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


def columns(r: Result, n: int, window: float) -> dict[str, str]:
    """One spawner's figures, by row label."""
    t = list(r.ready.values()) or [float("nan")]
    ms = [1000 * x for x in (statistics.median(r.latencies), pct(r.latencies, 0.95),
                             max(r.latencies))]
    burst, steady = sum(r.burst_rpcs.values()), sum(r.steady_rpcs.values())
    per_server = steady * 60 / window / max(1, r.running)
    return {
        "": r.spawner,
        "ready / failed": f"{len(r.ready)}/{n} / {len(r.failed)}",
        "ready time p50 / p90 / max (s)":
            f"{statistics.median(t):.1f} / {pct(t, 0.9):.1f} / {max(t):.1f}",
        "hub API p50 / p95 / max (ms)": f"{ms[0]:.0f} / {ms[1]:.0f} / {ms[2]:.0f}",
        "hub CPU during the burst (s)": f"{r.hub_cpu:.1f} in {r.burst_seconds:.0f}",
        "slurmctld RPCs during the burst": f"{burst} ({burst / n:.1f}/spawn)",
        "RPCs per running server per minute after": f"{per_server:.2f} ({r.running} running)",
        "jobs left after stopping all / seconds": f"{r.left} / {r.end_seconds:.0f}",
    }


def report(a, n: int, results: list[Result]) -> None:
    print(f"\nworkshop burst: {n} participants clicking within {a.within:.0f} s "
          f"(production intervals; steady state over {a.window:.0f} s)")
    cols = [columns(r, n, a.window) for r in results]
    for label in cols[0]:
        print(f"  {label:<42}" + "".join(f"{c[label]:>24}" for c in cols))
    for r in results:
        top = sorted(r.burst_rpcs.items(), key=lambda x: -x[1])[:5]
        print(f"  {r.spawner} burst RPCs: " + ", ".join(f"{k} {v}" for k, v in top))
        for user, why in sorted(r.failed.items())[:5]:
            print(f"  {r.spawner} failed {user}: {why}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--within", type=float, default=10.0)
    p.add_argument("--window", type=float, default=60.0, help="seconds of steady-state sdiag")
    p.add_argument("--timeout", type=float, default=300.0)
    p.add_argument("--spawners", default="funicular,batchspawner",
                   help=f"comma-separated, in order: {', '.join(SIDES)}")
    p.add_argument("--pause", type=float, default=20.0,
                   help="seconds of quiet between the two bursts")
    a = p.parse_args()
    spawners = a.spawners.split(",")
    if unknown := set(spawners) - set(SIDES):
        p.error(f"unknown spawner(s): {', '.join(sorted(unknown))}")
    users = sorted(u for u in passwords() if u.startswith("ws"))[:a.n]
    if len(users) < a.n:
        print(f"only {len(users)} participants: run deploy/local/up --no-hub --users {a.n}")
        return 2
    if participant_jobs(users):
        print("participant jobs are in Slurm already: end them first (squeue -u ws001,...)")
        return 2
    results = []
    for i, spawner in enumerate(spawners):
        if i:
            time.sleep(a.pause)
        results.append(burst(spawner, users, a))
    report(a, len(users), results)
    return 0 if all(not r.failed and len(r.ready) == len(users) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
