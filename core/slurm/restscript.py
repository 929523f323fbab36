"""The script, environment and plain fields a slurmrestd submission carries, in any dialect.

slurmrestd 22.05.8 corrupts its heap on a submission with ``argv`` (double free,
segfault: found on the box), so the command travels in the job's environment,
FUNICULAR_ARG_0..N, and ``ARGV_PRELUDE`` at the top of the batch script rebuilds "$@"
from it: the script then runs as ``sbatch SCRIPT ARGS...`` would run it. Later
dialects keep the same way, so that a job runs the same whichever release took it.
"""

from ..batchjob import BatchJob
from ..errors import SlurmError

# ``eval`` only ever sees the literal text `set -- "$@" "${FUNICULAR_ARG_<i>}"`; no
# value is parsed
ARGV_PRELUDE = """\
i=0
set --
while [ "$i" -lt "${FUNICULAR_ARGC:-0}" ]; do
  eval "set -- \\"\\$@\\" \\"\\${FUNICULAR_ARG_$i}\\""
  unset "FUNICULAR_ARG_$i"
  i=$((i + 1))
done
unset FUNICULAR_ARGC i
"""
EXEC_ARGS = '#!/bin/sh\nexec "$@"\n'  # a batch script that only runs its arguments


def batch_script(script: str, warn_signal: str | None) -> str:
    """``script`` (a batch script's text) with the walltime warning as an #SBATCH line
    (from a validated ``BatchJob.warn_signal``) and ``ARGV_PRELUDE`` right after its
    ``#!`` line (``/bin/sh`` where it has none)."""
    first, _, rest = script.partition("\n")
    head, body = (first + "\n", rest) if first.startswith("#!") else ("#!/bin/sh\n", script)
    extra = f"#SBATCH --signal=B:{warn_signal}\n" if warn_signal else ""
    return head + extra + ARGV_PRELUDE + body


def job_env(job: BatchJob, env: dict[str, str]) -> dict[str, str]:
    """``env`` plus the command as FUNICULAR_ARGC and FUNICULAR_ARG_<i>. SlurmError for
    a job with admin sbatch options, which slurmrestd has no way to take."""
    if job.extra:
        raise SlurmError("extra_sbatch_args cannot be used with the slurmrestd backend")
    return {**env, "FUNICULAR_ARGC": str(len(job.command)),
            **{f"FUNICULAR_ARG_{i}": arg for i, arg in enumerate(job.command)}}


def same_in_every_dialect(job: BatchJob) -> dict:
    """The submission's fields that v0.0.38 and v0.0.40-42 spell alike (strings):
    account, reservation, QOS, comment, array, dependency; only those set."""
    r = job.resources
    desc = {key: getattr(r, key) for key in ("account", "reservation", "qos")
            if getattr(r, key)}
    if job.comment:
        desc["comment"] = job.comment
    if job.array:
        desc["array"] = job.array
    if job.after_ok:
        desc["dependency"] = f"afterok:{':'.join(job.after_ok)}"
    return desc
