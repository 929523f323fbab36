"""slurmctld load from the hub while N notebook servers run: flat in N, or not?

    deploy/local/.state/venv/bin/python benchmarks/slurm_load.py [--counts 1,5,10] [--backend rest]

Starts its own hub (the test harness's, production intervals: JupyterHub polls each
server every 30 s, FunicularSpawner queries Slurm once per 30 s for all of them),
starts N servers for alice, bob and the workshop users, waits for them to settle,
resets `sdiag`, waits one window and prints the RPCs slurmctld served, by type.
"""

import argparse
import pathlib
import re
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from tests.integration.harness import Hub, passwords, run  # noqa: E402


def rpc_counts() -> dict[str, int]:
    out = run("sdiag").stdout
    part = out.split("Remote Procedure Call statistics by message type", 1)[-1]
    part = part.split("Remote Procedure Call statistics by user", 1)[0]
    return {m: int(n) for m, n in re.findall(r"^\s*(\w+)\s+\(\s*\d+\)\s+count:(\d+)", part, re.M)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--counts", default="1,5,10")
    p.add_argument("--window", type=float, default=60)
    p.add_argument("--backend", choices=["cli", "rest"], default="cli",
                   help="the spawner's Slurm backend (rest: through slurmrestd)")
    a = p.parse_args()
    counts = [int(c) for c in a.counts.split(",")]
    users = sorted(passwords())
    hub = Hub(FUNICULAR_POLL_INTERVAL=30, FUNICULAR_STATUS_INTERVAL=30,
              FUNICULAR_SLURM_BACKEND=a.backend, FUNICULAR_IDLE_TIMEOUT=0,
              FUNICULAR_NAMED_SERVER_LIMIT=0)
    hub.prepare()
    hub.start()
    rows = []
    try:
        for n in counts:
            servers = [(users[i % len(users)], f"s{i}") for i in range(n)]
            for user, name in servers:
                assert hub.spawn(user, name).status_code in (201, 202)
            for user, name in servers:
                hub.wait_ready(user, name, timeout=300)
            time.sleep(5)
            run("sdiag", "--reset")
            time.sleep(a.window)
            counts_by_type = rpc_counts()
            rows.append((n, counts_by_type))
            hub.stop_all_servers()
    finally:
        hub.stop_all_servers()
        hub.stop()
        hub.stop_proxy()
    print(f"\nslurmctld RPCs per minute while N servers run (backend {a.backend}, window "
          f"{a.window:.0f} s, JupyterHub poll_interval 30 s, status_interval 30 s)")
    for n, c in rows:
        per_min = {k: v * 60 / a.window for k, v in c.items()}
        jobq = sum(v for k, v in per_min.items() if "JOB_INFO" in k)
        print(f"N={n:3}: all RPCs {sum(per_min.values()):6.1f}/min, job queries {jobq:5.1f}/min"
              f"  ({', '.join(f'{k}={v:.1f}' for k, v in sorted(per_min.items()))})")


if __name__ == "__main__":
    main()
