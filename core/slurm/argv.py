"""Pure functions from typed specs to Slurm command lines.

No shell is involved anywhere: each value is one argv element, and every value
was validated by the spec it came from.
"""

from ..batchjob import BatchJob


def sbatch_argv(job: BatchJob, script: str, sbatch: str = "sbatch") -> list[str]:
    """sbatch argv that runs the static ``script`` with ``job.command`` as its arguments."""
    r = job.resources
    argv = [
        sbatch, "--parsable",
        f"--job-name={job.name}",
        f"--partition={r.partition}",
        f"--nodes={r.nodes}",
        f"--ntasks-per-node={job.tasks_per_node}",
        f"--cpus-per-task={r.cpus}",
        f"--time={r.minutes}",
        f"--chdir={job.workdir}",
        f"--output={job.output}",
        "--requeue" if job.requeue else "--no-requeue",
    ]
    if r.memory_mb is not None:
        argv.append(f"--mem={r.memory_mb}M")
    if r.gpus:
        argv.append(f"--gres=gpu:{r.gpus}")
    if r.account:
        argv.append(f"--account={r.account}")
    if r.reservation:
        argv.append(f"--reservation={r.reservation}")
    if r.qos:
        argv.append(f"--qos={r.qos}")
    if job.warn_signal:
        argv.append(f"--signal=B:{job.warn_signal}")
    if job.comment:
        argv.append(f"--comment={job.comment}")
    if job.array:
        argv.append(f"--array={job.array}")
    if job.after_ok:
        argv.append(f"--dependency=afterok:{':'.join(job.after_ok)}")
    argv.extend(job.extra)
    argv.append(script)
    argv.extend(job.command)
    return argv


def scancel_argv(job_id: str, scancel: str = "scancel", signal: str | None = None) -> list[str]:
    argv = [scancel]
    if signal:
        if not signal.isalnum():
            raise ValueError(f"bad signal name {signal!r}")
        argv.append(f"--signal={signal}")
    argv.append(job_id_arg(job_id))
    return argv


def job_id_arg(job_id: str) -> str:
    """A job id as it may appear in argv or a URL: digits only."""
    job_id = str(job_id)
    if not (job_id.isascii() and job_id.isdigit()):
        raise ValueError(f"bad Slurm job id {job_id!r}")
    return job_id
