"""What one status query of the hub costs while a tenant fills the queue.

    deploy/local/up --no-hub
    deploy/local/.state/venv/bin/python benchmarks/status_query.py [--jobs 0,500,2000]

For each count, mallory holds that many jobs (--hold: they never run) with long
names and comments; then the hub's status query for one watched job is timed, as
FunicularSpawner makes it (squeue text with no field users can set, which honours
--jobs), next to `squeue --json --jobs=ID`, which Slurm 22.05 answers with every
job it remembers. Prints the median wall time and the bytes read per query.
"""

import argparse
import asyncio
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core import proc  # noqa: E402
from funicular.core.slurm import SlurmCLI, jobjson  # noqa: E402
from tests.integration.harness import run  # noqa: E402

FILLER = "x" * 200


def hold(n: int) -> list[str]:
    ids = []
    for _ in range(n):
        out = run("runuser", "-u", "mallory", "--", "sbatch", "--parsable", "--hold",
                  "-p", "mc", "-o", "/dev/null", "-J", FILLER, f"--comment={FILLER}",
                  "--wrap", "true", cwd="/tmp").stdout.strip()
        ids.append(out.split(";")[0])
    return ids


async def measure(cli: SlurmCLI, job_id: str, rounds: int) -> dict[str, tuple[float, int]]:
    text_times, json_times = [], []
    text_bytes = json_bytes = 0
    for _ in range(rounds):
        t = time.perf_counter()
        await cli.query([job_id])
        text_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        res = await proc.run(["squeue", "--json", "--local", "--states=all",
                              f"--jobs={job_id}"], timeout=120)
        jobjson.select(jobjson.parse(res.stdout), [job_id])
        json_times.append(time.perf_counter() - t)
        json_bytes = len(res.stdout)
    res = await proc.run(["squeue", "--local", "--noheader", "--states=all",
                          f"--jobs={job_id}", "--format=%i|%T|%r|%B|%N|%S|%e|%u"])
    text_bytes = len(res.stdout)
    return {"text": (statistics.median(text_times), text_bytes),
            "json": (statistics.median(json_times), json_bytes)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", default="0,500,2000")
    p.add_argument("--rounds", type=int, default=10)
    a = p.parse_args()
    watched = run("runuser", "-u", "alice", "--", "sbatch", "--parsable", "-p", "mc",
                  "-o", "/dev/null", "--wrap", "sleep 3600", cwd="/tmp").stdout.strip()
    held: list[str] = []
    cli = SlurmCLI()
    print(f"{'held jobs':>10} {'text ms':>9} {'text bytes':>11} {'json ms':>9} {'json bytes':>11}")
    try:
        for n in (int(x) for x in a.jobs.split(",")):
            held += hold(n - len(held))
            r = asyncio.run(measure(cli, watched, a.rounds))
            print(f"{n:>10} {r['text'][0] * 1000:>9.1f} {r['text'][1]:>11} "
                  f"{r['json'][0] * 1000:>9.1f} {r['json'][1]:>11}")
    finally:
        for i in range(0, len(held), 500):
            run("scancel", *held[i:i + 500], check=False)
        run("scancel", watched, check=False)


if __name__ == "__main__":
    main()
