"""slurmrestd request bodies in each version, the batch script that carries the command,
and the tokens (job records recorded on the cluster in a box; the other records' shapes
are in test_shapes)."""

import base64
import hashlib
import hmac
import json
import subprocess
from pathlib import Path

import pytest

from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import SlurmError
from funicular.core.slurm import jobjson, rest

DATA = json.loads((Path(__file__).parent / "data" / "slurmrestd.json").read_text())


def job(**kw):
    res = Resources(partition="gpu", cpus=2, memory_mb=4096, gpus=1, minutes=90,
                    account="physics", reservation="course")
    return BatchJob(name="funicular-default", resources=res,
                    command=("ch-run", "--set-env=A=$(id)", "img", "--", "it's \"quoted\""),
                    workdir="/home/alice", output="/home/alice/slurm-%j.log",
                    warn_signal="USR1@300", comment="funicular x alice/", **kw)


@pytest.mark.parametrize("version", ["v0.0.38", "v0.0.40", "v0.0.41", "v0.0.42"])
def test_submit_body_carries_validated_fields_and_no_argv(version):
    body = rest.submit_body(job(), {"PATH": "/usr/bin:/bin"}, version=version)
    d = body["job"]
    assert "argv" not in d  # slurmrestd 22.05.8 crashes on it; later ones need it not
    assert (d["partition"], d["cpus_per_task"], d["account"], d["reservation"], d["nodes"]) \
        == ("gpu", 2, "physics", "course", "1")
    env = d["environment"]
    if version != "v0.0.38":  # the data parsers: NAME=value strings
        env = dict(e.split("=", 1) for e in env)
    assert env["PATH"] == "/usr/bin:/bin" and env["FUNICULAR_ARGC"] == "5"
    assert env["FUNICULAR_ARG_1"] == "--set-env=A=$(id)"
    script = body["script"] if version == "v0.0.38" else d["script"]
    assert script.startswith("#!/bin/sh\n#SBATCH --signal=B:USR1@300\n")
    body = rest.submit_body(job(), {}, "#!/bin/bash\n# the launcher\ntrap '' USR1\n",
                            version=version)
    script = body["script"] if version == "v0.0.38" else body["job"]["script"]
    assert script == ("#!/bin/bash\n#SBATCH --signal=B:USR1@300\n" +
                      rest.ARGV_PRELUDE + "# the launcher\ntrap '' USR1\n")
    with pytest.raises(SlurmError, match="extra_sbatch_args"):
        rest.submit_body(job(extra=("--exclusive",)), {}, version=version)


def test_submit_body_speaks_the_newest_version_unless_told():
    assert rest.submit_body(job(), {})["job"]["time_limit"] == \
        {"set": True, "infinite": False, "number": 90}
    assert rest.submit_body(job(), {}, version="v0.0.38")["job"]["time_limit"] == 90
    with pytest.raises(SlurmError, match="v0.0.37"):
        rest.submit_body(job(), {}, version="v0.0.37")


ARGS = ["printf", "[%s]\n", "$(touch pwned)", "`id`", "a b", "'\"", "-", "*", "x\ny", ""]


def _run_batch(script: str, tmp_path, interpreter="/bin/sh") -> str:
    env = {"PATH": "/usr/bin:/bin", "FUNICULAR_ARGC": str(len(ARGS)),
           **{f"FUNICULAR_ARG_{i}": a for i, a in enumerate(ARGS)}}
    return subprocess.run([interpreter, "-c", rest.batch_script(script, None), "launch"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, check=True).stdout


def test_prelude_rebuilds_argv_exactly_without_evaluating_values(tmp_path):
    """The batch script run by a real shell: every argument arrives byte for byte."""
    assert _run_batch(rest.EXEC_ARGS, tmp_path) == "".join(f"[{a}]\n" for a in ARGS[2:])
    assert not (tmp_path / "pwned").exists()


def test_the_notebooks_own_launcher_gets_its_arguments_through_slurmrestd(tmp_path):
    """launch.sh, as the spawner submits it, runs the command it would get from sbatch."""
    launch = (Path(rest.__file__).parents[1] / "launch.sh").read_text()
    out = _run_batch(launch, tmp_path, interpreter="/bin/bash")
    assert out == "".join(f"[{a}]\n" for a in ARGS[2:])
    assert not (tmp_path / "pwned").exists()


def test_jwt_is_hs256_for_the_user():
    token = rest.sign_jwt(b"k" * 32, "alice", 1000, 600)
    head, claims, sig = token.split(".")
    msg = f"{head}.{claims}".encode()
    expect = base64.urlsafe_b64encode(hmac.new(b"k" * 32, msg, hashlib.sha256).digest())
    assert sig == expect.rstrip(b"=").decode()
    pad = "=" * (-len(claims) % 4)
    assert json.loads(base64.urlsafe_b64decode(claims + pad)) == \
        {"iat": 1000, "exp": 1600, "sun": "alice"}


def test_signer_reuses_tokens_and_keeps_them_out_of_anything_but_headers(tmp_path):
    key = tmp_path / "key"
    key.write_bytes(b"s" * 32)
    signer = rest.JWTSigner(str(key), lifespan=600)
    h1, h2 = signer.headers("alice"), signer.headers("alice")
    assert h1 == h2 and h1["X-SLURM-USER-NAME"] == "alice"
    assert signer.headers("bob")["X-SLURM-USER-TOKEN"] != h1["X-SLURM-USER-TOKEN"]


def test_job_info_and_describe_from_a_recorded_job():
    j = DATA["job"]
    info = jobjson.job_info(j)
    assert info.job_id == "588" and info.running and info.batch_host == "mc1"
    assert info.reason is None and info.user == "alice" and info.start_time.startswith("20")
    d = jobjson.describe_job({**j, "job_state": "FAILED", "exit_code": 256 * 3})
    assert d["JobState"] == "FAILED" and d["ExitCode"] == "3:0" and d["TimeLimit"] == "00:01:00"
