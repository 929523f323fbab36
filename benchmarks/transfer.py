"""Throughput of Funicular's transfers against the raw clients and a local copy.

    deploy/local/.state/venv/bin/python benchmarks/transfer.py [--size-mib 1024] [--repeat 3]

One random file (1 GiB by default) moved, in one run, by: a local `cp` (page cache)
and `cp` plus `sync`; boto3's managed multipart transfer (its default checksums, and
with checksums only where required, as Funicular runs it); python-swiftclient's
SwiftService (SLO segments); and Funicular's engine through the Swift and the S3 API
(downloads as it runs them, flushed to disk before they appear under their name, and
once without that flush, as the raw clients write).
Same part size and parallelism everywhere (--part-mib, --concurrency). Uploads and
downloads against the box's Swift (deploy/local/up), as alice; each run starts after a
`sync`, so that none pays for the disk write-back of the one before. Prints the median
MB/s (1e6 B/s) of --repeat runs each, and Funicular's share of the best raw client.
"""

import argparse
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from funicular.core.storage import StoreCredentials, filesystem  # noqa: E402
from funicular.core.storage.transfer import plan, run  # noqa: E402
from tests.integration.harness import remove_container, store_credentials  # noqa: E402

BUCKET = "funibench"
MIB = 2**20


def boto3_client(c: StoreCredentials, lean: bool):
    import boto3
    from botocore.config import Config
    extra = dict(request_checksum_calculation="when_required",
                 response_checksum_validation="when_required") if lean else {}
    return boto3.client("s3", endpoint_url=c.s3_endpoint, aws_access_key_id=c.s3_access_key,
                        aws_secret_access_key=c.s3_secret_key, region_name=c.s3_region,
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=16,
                                      **extra))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size-mib", type=int, default=1024)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--part-mib", type=int, default=32)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--user", default="alice")
    a = p.parse_args()
    c = store_credentials(a.user)
    size, part = a.size_mib * MIB, a.part_mib * MIB
    from boto3.s3.transfer import TransferConfig
    from swiftclient.service import SwiftService, SwiftUploadObject
    tc = TransferConfig(multipart_threshold=part, multipart_chunksize=part,
                        max_concurrency=a.concurrency)
    swift_opts = {"auth": c.swift_auth_url, "user": c.swift_user, "key": c.swift_key,
                  "auth_version": "1", "segment_size": part, "use_slo": True,
                  "segment_threads": a.concurrency, "object_dd_threads": a.concurrency}
    filesystem("swift", c).mkdir(BUCKET)
    work = pathlib.Path(tempfile.mkdtemp(prefix="funibench-", dir=os.environ.get("TMPDIR")))
    src = work / "src.bin"
    with open(src, "wb") as f:
        for _ in range(a.size_mib // 64):
            f.write(os.urandom(64 * MIB))
        f.write(os.urandom((a.size_mib % 64) * MIB))
    out = work / "out.bin"

    def funicular(s: str, d: str, durable: bool = True):
        t = run(plan(s, d, c), c, None, part_size=part, concurrency=a.concurrency,
                durable=durable)
        assert t.state == "done", t.error

    def swift_up():
        with SwiftService(options=swift_opts) as svc:
            for r in svc.upload(BUCKET, [SwiftUploadObject(str(src), object_name="raw.bin")],
                                options={"segment_size": part, "use_slo": True}):
                assert r["success"], r

    def swift_down():
        with SwiftService(options=swift_opts) as svc:
            for r in svc.download(BUCKET, ["raw.bin"], options={"out_file": str(out)}):
                assert r["success"], r

    b_default, b_lean = boto3_client(c, lean=False), boto3_client(c, lean=True)
    cases = {
        "up": [
            ("cp (page cache)", "local", lambda: shutil.copyfile(src, out)),
            ("cp + sync", "local", lambda: (shutil.copyfile(src, out), os.sync())),
            ("boto3 multipart (default checksums)", "raw",
             lambda: b_default.upload_file(str(src), BUCKET, "raw.bin", Config=tc)),
            ("boto3 multipart (checksums when required)", "raw",
             lambda: b_lean.upload_file(str(src), BUCKET, "raw.bin", Config=tc)),
            ("swiftclient SwiftService SLO", "raw", swift_up),
            ("funicular -> swift://", "funicular",
             lambda: funicular(str(src), f"swift://{BUCKET}/f.bin")),
            ("funicular -> s3://", "funicular",
             lambda: funicular(str(src), f"s3://{BUCKET}/f.bin")),
        ],
        "down": [
            ("boto3 ranged download (default checksums)", "raw",
             lambda: b_default.download_file(BUCKET, "raw.bin", str(out), Config=tc)),
            ("boto3 ranged download (checksums when required)", "raw",
             lambda: b_lean.download_file(BUCKET, "raw.bin", str(out), Config=tc)),
            ("swiftclient SwiftService", "raw", swift_down),
            ("funicular <- swift://", "funicular",
             lambda: funicular(f"swift://{BUCKET}/f.bin", str(out))),
            ("funicular <- s3://", "funicular",
             lambda: funicular(f"s3://{BUCKET}/f.bin", str(out))),
            ("funicular <- swift://, no fsync (as the raw clients)", "funicular",
             lambda: funicular(f"swift://{BUCKET}/f.bin", str(out), durable=False)),
        ],
    }
    print(f"{a.size_mib} MiB, parts of {a.part_mib} MiB, {a.concurrency} at once, "
          f"{a.repeat} runs each, store {c.s3_endpoint}, {os.cpu_count()} CPUs")
    try:
        for direction, rows in cases.items():
            print(f"\n{direction}load" if direction == "up" else "\ndownload")
            results = {}
            for label, kind, fn in rows:
                rates = []
                for _ in range(a.repeat):
                    if out.exists():
                        out.unlink()
                    os.sync()  # no run pays for the write-back of the one before
                    t0 = time.perf_counter()
                    fn()
                    rates.append(size / (time.perf_counter() - t0) / 1e6)
                results[label] = (kind, statistics.median(rates))
                print(f"  {label:50} {statistics.median(rates):7.0f} MB/s   "
                      f"(runs: {', '.join(f'{r:.0f}' for r in rates)})", flush=True)
            best_raw = max(r for k, r in results.values() if k == "raw")
            for label, (kind, rate) in results.items():
                if kind == "funicular":
                    print(f"  {label}: {100 * rate / best_raw:.0f} % of the best raw client")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        remove_container(a.user, BUCKET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
