"""What it costs to ask slurmrestd which OpenAPI versions it serves, as the REST backend
does once per process (and the hub at start): GET /openapi/v3, parsed, the dialect
chosen (core/slurm/versions.py).

    sudo deploy/local/.state/venv/bin/python benchmarks/slurmrestd_version.py [--n 10]

Needs the cluster in a box (deploy/local/up --no-hub; FUNICULAR_SLURM=24.11 for 24.11).
Prints the version chosen, the document's size, and the median, min and max of the
question with a new backend each time (no cache).
"""

import argparse
import asyncio
import os
import statistics
import time

from funicular.core.slurm.backend import SlurmSettings, check_rest
from funicular.core.slurm.rest import sign_jwt

BOX = os.environ.get("FUNICULAR_BOX", "/var/lib/funicular")
KEY = f"{BOX}/slurm/state/jwt_hs256.key"
URL = "http://127.0.0.1:6820"


def document_size() -> int:
    import requests

    with open(KEY, "rb") as f:
        token = sign_jwt(f.read(), "slurm", int(time.time()), 60)
    r = requests.get(f"{URL}/openapi/v3", timeout=30,
                     headers={"X-SLURM-USER-NAME": "slurm", "X-SLURM-USER-TOKEN": token})
    r.raise_for_status()
    return len(r.content)


async def main(n: int) -> None:
    settings = SlurmSettings(kind="rest", slurmrestd_url=URL, jwt_key=KEY)
    times, version = [], None
    for _ in range(n):
        t = time.perf_counter()
        version = await check_rest(settings)  # make_backend: a new backend, no cache
        times.append(time.perf_counter() - t)
    print(f"slurmrestd at {URL}: speaks {version}; /openapi/v3 is "
          f"{document_size() / 1e6:.2f} MB")
    print(f"the question, {n} times: median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=10)
    asyncio.run(main(p.parse_args().n))
