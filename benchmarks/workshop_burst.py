"""A workshop's burst: N participants click Start within a few seconds.

    deploy/local/up --no-hub --users 50
    deploy/local/.state/venv/bin/python benchmarks/workshop_burst.py [--n 50] [--within 10]

Starts the test harness's hub with production intervals (JupyterHub polls each server
every 30 s; FunicularSpawner asks Slurm once per 30 s for all of them), spreads N
spawns of the workshop's participants (ws001...) evenly over --within seconds, and
prints: ready time per participant (from its click) p50/p90/max and failed spawns;
the p95 latency of a cheap hub API call (GET /hub/api/) measured every 0.2 s during
the burst; slurmctld's RPCs during the burst and per running server per minute after
it (from `sdiag`); and the hub's CPU seconds for the burst. Then it ends the workshop
and checks that no participant job is left.

batchspawner's SlurmSpawner is not run side by side yet (see docs/workshops.md).
"""

import argparse
import os
import pathlib
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from benchmarks.slurm_load import rpc_counts  # noqa: E402
from tests.integration.harness import Hub, passwords, run  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--within", type=float, default=10.0)
    p.add_argument("--window", type=float, default=60.0, help="seconds of steady-state sdiag")
    p.add_argument("--timeout", type=float, default=300.0)
    a = p.parse_args()
    users = sorted(u for u in passwords() if u.startswith("ws"))[:a.n]
    if len(users) < a.n:
        print(f"only {len(users)} participants: run deploy/local/up --no-hub --users {a.n}")
        return 2
    hub = Hub(name="burst-hub", port_offset=200, job_prefix="funiburst",
              FUNICULAR_POLL_INTERVAL=30, FUNICULAR_STATUS_INTERVAL=30,
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
    try:
        run("sdiag", "--reset")
        cpu0 = cpu_seconds(hub.proc.pid)
        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        began = time.monotonic()

        def click(i: int, user: str):
            time.sleep(max(0.0, began + i * a.within / len(users) - time.monotonic()))
            clicked[user] = time.monotonic()
            r = hub.spawn(user, "", {"profile": "workshop-hpc101"})
            if r.status_code not in (201, 202):
                failed[user] = f"HTTP {r.status_code}: {r.text[:200]}"
        clickers = [threading.Thread(target=click, args=(i, u)) for i, u in enumerate(users)]
        for t in clickers:
            t.start()
        deadline = time.monotonic() + a.timeout
        while len(ready) + len(failed) < len(users) and time.monotonic() < deadline:
            for user in users:
                if user in ready or user in failed or user not in clicked:
                    continue
                s = hub.server(user)
                if s and s.get("ready"):
                    ready[user] = time.monotonic() - clicked[user]
                elif s is None and time.monotonic() - clicked[user] > 5:
                    failed[user] = "no server (the spawn failed: see the hub's log)"
            time.sleep(0.25)
        for t in clickers:
            t.join()
        burst_seconds = time.monotonic() - began
        stop_probe.set()
        cpu1 = cpu_seconds(hub.proc.pid)
        burst_rpcs = rpc_counts()
        run("sdiag", "--reset")
        time.sleep(a.window)
        steady = rpc_counts()
        running = sum(1 for u in users if (hub.server(u) or {}).get("ready"))
        report(a, users, ready, failed, latencies, cpu1 - cpu0, burst_seconds, burst_rpcs,
               steady, running)
    finally:
        stop_probe.set()
        t0 = time.monotonic()
        for user in users:  # the end of the workshop: every server, then Slurm empty
            hub.api("DELETE", f"/users/{user}/server")
        try:
            wait_until(lambda: not run("squeue", "-h", "-u", ",".join(users), "-o", "%i")
                       .stdout.strip(), 300)
        finally:
            left = run("squeue", "-h", "-u", ",".join(users), "-o", "%i").stdout.split()
            print(f"  end of the workshop: {len(left)} participant jobs left in Slurm after "
                  f"{time.monotonic() - t0:.0f} s")
            hub.stop()
            hub.stop_proxy()
    return 0 if not failed and len(ready) == len(users) else 1


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


def report(a, users, ready, failed, latencies, cpu, burst_seconds, burst_rpcs, steady,
           running) -> None:
    times = list(ready.values())
    print(f"\nworkshop burst: {len(users)} participants clicking within {a.within:.0f} s "
          f"(FunicularSpawner, production intervals)")
    print(f"  ready: {len(ready)}/{len(users)}; failed: {len(failed)}; not ready after "
          f"{a.timeout:.0f} s: {len(users) - len(ready) - len(failed)}")
    if times:
        print(f"  ready time from click: p50 {statistics.median(times):.1f} s, "
              f"p90 {pct(times, 0.9):.1f} s, max {max(times):.1f} s")
    print(f"  hub API (GET /hub/api/) during the burst: p50 "
          f"{1000 * statistics.median(latencies):.0f} ms, p95 {1000 * pct(latencies, 0.95):.0f}"
          f" ms, max {1000 * max(latencies):.0f} ms ({len(latencies)} calls)")
    print(f"  hub CPU: {cpu:.1f} s over the burst's {burst_seconds:.0f} s")
    total = sum(burst_rpcs.values())
    print(f"  slurmctld RPCs during the burst: {total} ({total / len(users):.1f} per spawn): "
          + ", ".join(f"{k} {v}" for k, v in sorted(burst_rpcs.items(), key=lambda x: -x[1])[:6]))
    per_min = sum(steady.values()) * 60 / a.window
    print(f"  afterwards, {running} servers running: {per_min:.0f} RPCs/min in total, "
          f"{per_min / max(1, running):.2f} per server per minute")
    for user, why in sorted(failed.items())[:5]:
        print(f"  failed {user}: {why}")


if __name__ == "__main__":
    raise SystemExit(main())
