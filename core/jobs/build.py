"""From a user's ``JobRequest`` and the ``JobSite`` to the ``BatchJob`` Slurm runs: pure.

The job runs in its own directory under the home (``<jobs_dir>/<id>``), which is
also its working directory unless the request names one, and where Slurm writes its
output. Several tasks (nodes x tasks per node) or an MPI mode mean one container per
task, started by srun (hybrid MPI: the image's MPI wires up through srun's PMI);
Enroot through pyxis is an srun step already.
"""

from ..batchjob import BatchJob, Resources
from ..errors import SpecError
from ..hubapi import JOB_DIR, JOB_ID
from .launch import containerised, home_inside, runtime_for, site_image
from .request import JobRequest
from .site import JobSite


def job_dir(site: JobSite, job_id: str) -> str:
    """The job's directory relative to the home (the same in the notebook and on nodes)."""
    return f"{site.jobs_dir.strip('/')}/{job_id}"


STAGE_SPEC = "stage.json"  # what to stage, written by the server into the job's directory
STAGE_CREDENTIALS = ".stage-credentials"  # 0600, removed by staged.sh when the job ends


def output_name(req: JobRequest) -> str:
    return "slurm-%A_%a.log" if req.array else "slurm-%j.log"


def batch_job(req: JobRequest, site: JobSite, *, job_id: str, user: str,
              after_ok: tuple[str, ...] = ()) -> BatchJob:
    """``after_ok``: the Slurm ids of the jobs ``req.after`` names."""
    image = site_image(site, req.image)
    host_dir = f"{site.host_home.rstrip('/')}/{job_dir(site, job_id)}"
    inside_dir = f"{home_inside(runtime_for(site, image), image, site, user)}/" \
                 f"{job_dir(site, job_id)}"
    job = containerised(
        site, image, req.command, user=user, workdir=req.workdir or inside_dir,
        env=(*req.env, (JOB_ID, job_id), (JOB_DIR, inside_dir)), gpus=req.gpus > 0,
        mpi=req.mpi)
    argv = job.argv
    tasks = req.nodes * req.tasks_per_node
    if job.runtime.name != "enroot" and (tasks > 1 or req.mpi != "none"):
        argv = ["srun", f"--mpi={site.pmi if req.mpi != 'none' else 'none'}", *argv]
    if req.stage_in or req.stage_out:
        argv = _staged(req, site, argv, user=user, host_dir=host_dir, job_id=job_id)
    return BatchJob(
        name=req.name,
        resources=Resources(partition=req.partition, nodes=req.nodes, cpus=req.cpus_per_task,
                            memory_mb=req.memory_mb, gpus=req.gpus, minutes=req.minutes,
                            account=req.account),
        command=tuple(argv), workdir=host_dir, output=f"{host_dir}/{output_name(req)}",
        comment=f"funicular job {job_id}", tasks_per_node=req.tasks_per_node,
        array=req.array, after_ok=after_ok)


def _staged(req: JobRequest, site: JobSite, argv: list[str], *, user: str, host_dir: str,
            job_id: str) -> list[str]:
    """The job between a stage-in and a stage-out step, each ``funicular-stage`` in the
    site's stage image on the job's first node (``staged.sh``: argv only)."""
    if not site.stage_image:
        raise SpecError("stage_in" if req.stage_in else "stage_out",
                        "this site does not stage data for jobs")
    image = site.images[site.stage_image]
    inside = _stage_dir(site, user, job_id)

    def step(direction: str, pairs) -> list[str]:
        if not pairs:
            return []
        return containerised(site, image, ("funicular-stage", direction,
                                           f"{inside}/{STAGE_SPEC}"),
                             user=user, workdir=inside, scratch=False).argv

    stage_in, stage_out = step("in", req.stage_in), step("out", req.stage_out)
    helper = runtime_for(site, image).helper("staged.sh")
    return [helper, f"{host_dir}/{STAGE_CREDENTIALS}",
            str(len(stage_in)), *stage_in, str(len(stage_out)), *stage_out, *argv]


def _stage_dir(site: JobSite, user: str, job_id: str) -> str:
    """The job's directory as the stage container sees it."""
    image = site.images[site.stage_image]
    return f"{home_inside(runtime_for(site, image), image, site, user)}/{job_dir(site, job_id)}"


def stage_spec(req: JobRequest, site: JobSite, job_id: str, user: str) -> dict:
    """What ``funicular-stage`` reads (paths as the stage container sees them)."""
    inside = _stage_dir(site, user, job_id)
    return {"dir": inside, "credentials": f"{inside}/{STAGE_CREDENTIALS}",
            "in": [list(p) for p in req.stage_in], "out": [list(p) for p in req.stage_out]}
