"""Jobs API latencies, from outside a real notebook server on the cluster in a box.

    sudo deploy/local/.state/venv/bin/python benchmarks/jobs_api.py [--n 10]

Needs the cluster in a box (deploy/local/up --no-hub is enough); starts the test
harness's hub (ports 18000/18081), spawns alice's server, and stops both again.
Prints median and p90 of:

- submit: POST /funicular/api/jobs through the proxy -> the answer with the Slurm
  job id (validation, building the container command, the hub's token, slurmrestd);
  next to it slurmrestd's own answer to the same kind of submission, direct;
- state change: the job's last act (it writes the clock to a file) -> its COMPLETED
  event on the server's change stream, what a JobMonitor receives. Includes Slurm's
  own end of the job and the server's poll interval (printed).
"""

import argparse
import json
import pathlib
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core.hubapi import SERVER_API  # noqa: E402
from funicular.core.slurm.rest import sign_jwt  # noqa: E402
from tests.integration.harness import BOX, Hub, run  # noqa: E402

JOBS = f"{SERVER_API}/jobs"


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def line(what, values, unit="ms", scale=1000.0):
    v = [x * scale for x in values]
    print(f"{what:52s} median {statistics.median(v):8.1f} {unit}   p90 {pct(v, 0.9):8.1f} {unit}"
          f"   (n={len(v)})")


def events(hub, token, seen: dict, stop: threading.Event):
    """Record the arrival time of each job's first COMPLETED event."""
    with requests.get(hub.url + f"user/alice/{JOBS}/events", stream=True, timeout=(10, 600),
                      headers={"Authorization": f"token {token}"}) as r:
        for raw in r.iter_lines(decode_unicode=True):
            if stop.is_set():
                return
            if raw.startswith("data: "):
                data = json.loads(raw[6:])
                job = data.get("job")
                if job and job["state"] == "COMPLETED" and job["id"] not in seen:
                    seen[job["id"]] = time.time()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=10)
    a = p.parse_args()
    home = pathlib.Path(run("getent", "passwd", "alice").stdout.split(":")[5])
    hub = Hub(FUNICULAR_IDLE_TIMEOUT=0)
    with hub.running():
        hub.spawn("alice")
        hub.wait_ready("alice")
        token = hub.user_token("alice")
        seen: dict[str, float] = {}
        stop = threading.Event()
        threading.Thread(target=events, args=(hub, token, seen, stop), daemon=True).start()
        time.sleep(1)

        submit, change, ids = [], [], []
        for i in range(a.n):
            body = {"image": "notebook", "partition": "mc", "minutes": 2, "name": "bench",
                    "command": ["sh", "-c", "sleep 1; python3 -c 'import time; "
                                "print(time.time())' > stamp"]}
            t0 = time.monotonic()
            r = hub.as_user("POST", "alice", JOBS, token, json=body)
            submit.append(time.monotonic() - t0)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
            if i % 2:  # let the cluster drain now and then: 3 nodes, 2 cores
                time.sleep(2)
        deadline = time.monotonic() + 300
        while len([i for i in ids if i in seen]) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.5)
        for job_id in ids:
            stamp = home / "funicular-jobs" / job_id / "stamp"
            if job_id in seen and stamp.exists():
                change.append(seen[job_id] - float(stamp.read_text()))
        stop.set()

        # slurmrestd alone: the same kind of job, submitted directly as alice
        key = (BOX / "slurm/state/jwt_hs256.key").read_bytes()
        rest = []
        for _ in range(a.n):
            jwt = sign_jwt(key, "alice", int(time.time()), 60)
            body = {"job": {"name": "bench-rest", "partition": "mc", "nodes": "1",
                            "time_limit": 1, "current_working_directory": "/tmp",
                            "standard_output": "/dev/null",
                            "environment": {"PATH": "/usr/bin:/bin"}},
                    "script": "#!/bin/sh\ntrue\n"}
            t0 = time.monotonic()
            r = requests.post("http://127.0.0.1:6820/slurm/v0.0.38/job/submit", json=body,
                              headers={"X-SLURM-USER-NAME": "alice",
                                       "X-SLURM-USER-TOKEN": jwt}, timeout=30)
            rest.append(time.monotonic() - t0)
            assert r.ok and r.json().get("job_id"), r.text
        hub.stop_server("alice")

    print(f"jobs API on the cluster in a box, {a.n} jobs each")
    line("submit: POST /funicular/api/jobs -> Slurm job id", submit)
    line("  slurmrestd alone: POST /job/submit -> job id", rest)
    line("state change: job's last act -> COMPLETED event", change)
    print("  (the server polls every 2 s while jobs run: c.FunicularJobs.poll_interval)")


if __name__ == "__main__":
    main()
