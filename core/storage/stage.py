"""``funicular-stage in|out SPEC``: a job's stage-in and stage-out, on the compute node.

Runs in the site's stage image (``staged.sh`` starts it before and after the job).
SPEC (``stage.json`` in the job's directory, written by the notebook server) names
the pairs; the credentials come from the 0600 file it names, never from argv. Every
file goes through the transfer engine, journalled in the job's directory, so a
requeued job resumes a half-done stage. ``stage-in.json`` / ``stage-out.json`` report
each file (state, size, checksum, what it was verified against) for the job's record.
"""

import json
import os
import sys
import time

from .. import envfile
from .credentials import StoreCredentials
from .journal import Journal, Transfer
from .location import relative
from .transfer import run


def stage(direction: str, spec: dict) -> list[dict]:
    base = spec["dir"]
    creds = StoreCredentials.from_env(envfile.read(spec["credentials"]))
    journal = Journal(os.path.join(base, ".stage-journal"))
    report = []
    for a, b in spec[direction]:
        if direction == "in":
            src, dst = a, "file://" + os.path.join(base, relative("stage_in", b))
            os.makedirs(os.path.dirname(dst[7:]), exist_ok=True)
        else:
            src, dst = "file://" + os.path.join(base, relative("stage_out", a)), b
        t = _resumable(journal, src, dst)
        if not os.path.exists(src[7:]) and direction == "out":
            t.state, t.error = "failed", f"{a}: the job left no such file"
        else:
            began = time.monotonic()
            run(t, creds, journal)
            print(f"funicular stage-{direction}: {a} -> {b}: {t.state}"
                  + (f", {t.size} bytes in {time.monotonic() - began:.1f} s, verified "
                     f"{t.verified}" if t.state == "done" else f": {t.error}"), flush=True)
        report.append({"src": a, "dst": b, "state": t.state, "size": t.size,
                       "checksum": t.checksum, "verified": t.verified, "error": t.error,
                       "seconds": round(t.seconds, 3)})
    return report


def _resumable(journal: Journal, src: str, dst: str) -> Transfer:
    for t in journal.all():
        if (t.src, t.dst) == (src, dst) and t.state != "done":
            return t
    t = Transfer.new(src, dst)
    journal.save(t)
    return t


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("in", "out"):
        print("usage: funicular-stage in|out SPEC.json", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        spec = json.load(f)
    report = stage(argv[0], spec)
    out = os.path.join(spec["dir"], f"stage-{argv[0]}.json")
    with open(out + ".tmp", "w") as f:
        json.dump(report, f)
    os.replace(out + ".tmp", out)
    return 0 if all(r["state"] == "done" for r in report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
