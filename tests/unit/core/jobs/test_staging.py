"""Stage-in/out of follow-on jobs: the request's checks, the argv around the job, and
staged.sh run for real with stand-in steps."""

import dataclasses
import os
import subprocess

import pytest

from funicular.core.containers.base import HELPERS_DIR
from funicular.core.errors import SpecError
from funicular.core.jobs import JobSite, SiteImage, batch_job, from_json
from funicular.core.jobs.build import stage_spec

SITE = JobSite(images={"notebook": SiteImage("/img/notebook"), "sim": SiteImage("/img/sim")},
               host_home="/users/alice", stage_image="notebook")
BASE = {"image": "sim", "command": ["./sim", "in.dat"], "partition": "mc"}
IN = [{"src": "swift://data/in.dat", "dst": "in.dat"}]
OUT = [{"src": "result.csv", "dst": "s3://results/run1/result.csv"}]


@pytest.mark.parametrize("bad, field, words", [
    ({"stage_in": [{"src": "file:///etc/shadow", "dst": "x"}]}, "stage_in", "object"),
    ({"stage_in": [{"src": "swift://data/", "dst": "x"}]}, "stage_in", "object"),
    ({"stage_in": [{"src": "swift://data/a", "dst": "../../.ssh/authorized_keys"}]},
     "stage_in", "'..'"),
    ({"stage_in": [{"src": "swift://data/a", "dst": "/etc/x"}]}, "stage_in", "relative"),
    ({"stage_out": [{"src": "r.csv", "dst": "http://evil/x"}]}, "stage_out", "scheme"),
    ({"stage_out": [{"src": "r.csv"}]}, "stage_out", "each entry"),
    ({"stage_out": "r.csv"}, "stage_out", "list"),
    ({"stage_in": IN, "array": "0-3"}, "stage_in", "array"),
])
def test_bad_staging_is_refused_naming_the_field(bad, field, words):
    with pytest.raises(SpecError) as e:
        from_json({**BASE, **bad})
    assert e.value.field == field and words in str(e.value)


def test_the_job_runs_between_its_stages():
    req = from_json({**BASE, "stage_in": IN, "stage_out": OUT})
    job = batch_job(req, SITE, job_id="j0123456789ab", user="alice")
    argv = list(job.command)
    assert argv[0] == f"{HELPERS_DIR}/staged.sh"
    assert argv[1] == "/users/alice/funicular-jobs/j0123456789ab/.stage-credentials"
    n = int(argv[2])
    stage_in = argv[3:3 + n]
    m = int(argv[3 + n])
    stage_out, rest = argv[4 + n:4 + n + m], argv[4 + n + m:]
    # paths as the stage container sees the home (ch-run: /home/USER)
    spec = "/home/alice/funicular-jobs/j0123456789ab/stage.json"
    assert stage_in[1] == "ch-run" and "/img/notebook" in stage_in
    assert stage_in[-3:] == ["funicular-stage", "in", spec]
    assert stage_out[-3:] == ["funicular-stage", "out", spec]
    assert "/img/sim" in rest and rest[-2:] == ["./sim", "in.dat"]
    # no URL, path or key of the user's is in argv: they are in stage.json
    assert not any("swift://" in a or "s3://" in a for a in argv)
    assert stage_spec(req, SITE, "j0123456789ab", "alice") == {
        "dir": "/home/alice/funicular-jobs/j0123456789ab",
        "credentials": "/home/alice/funicular-jobs/j0123456789ab/.stage-credentials",
        "in": [["swift://data/in.dat", "in.dat"]],
        "out": [["result.csv", "s3://results/run1/result.csv"]]}


def test_a_site_without_a_stage_image_says_so():
    site = dataclasses.replace(SITE, stage_image=None)
    req = from_json({**BASE, "stage_out": OUT})
    with pytest.raises(SpecError, match="does not stage"):
        batch_job(req, site, job_id="j0123456789ab", user="alice")


def _staged(tmp_path, stage_in, job, stage_out):
    creds = tmp_path / "creds"
    creds.write_text("FUNICULAR_STORE_SWIFT_KEY=secret\n")
    log = tmp_path / "log"
    step = lambda name, code: ["sh", "-c", f'echo {name} >> "$0"; exit {code}', str(log)]  # noqa: E731
    parts = [str(creds)]  # CREDENTIALS, N IN..., M OUT..., JOB...
    for s in (stage_in, stage_out):
        parts += ([str(4)] + step(*s)) if s is not None else ["0"]
    r = subprocess.run([os.path.join(HELPERS_DIR, "staged.sh"), *parts, *step(*job)],
                       check=False)
    return r.returncode, log.read_text().split() if log.exists() else [], creds.exists()


@pytest.mark.parametrize("stage_in, job, stage_out, code, ran", [
    (("in", 0), ("job", 0), ("out", 0), 0, ["in", "job", "out"]),
    (("in", 3), ("job", 0), ("out", 0), 1, ["in"]),          # no inputs: the job never runs
    (("in", 0), ("job", 5), ("out", 0), 5, ["in", "job", "out"]),  # outputs of a failed job
    (("in", 0), ("job", 0), ("out", 7), 7, ["in", "job", "out"]),
    (None, ("job", 0), ("out", 0), 0, ["job", "out"]),
])
def test_staged_sh_order_and_exit_status(tmp_path, stage_in, job, stage_out, code, ran):
    status, log, creds_left = _staged(tmp_path, stage_in, job, stage_out)
    assert (status, log) == (code, ran)
    assert not creds_left  # the keys go however the job ends
