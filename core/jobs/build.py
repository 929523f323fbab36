"""From a user's ``JobRequest`` and the ``JobSite`` to the ``BatchJob`` Slurm runs: pure.

The job runs in its own directory under the home (``<jobs_dir>/<id>``), which is
also its working directory unless the request names one, and where Slurm writes its
output. Several tasks (nodes x tasks per node) or an MPI mode mean one container per
task, started by srun (hybrid MPI: the image's MPI wires up through srun's PMI);
Enroot through pyxis is an srun step already.
"""

from ..batchjob import BatchJob, Resources
from ..containers import Bind, ContainerLaunch, Scratch, get_runtime
from ..errors import SpecError
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
    image = site.images.get(req.image)
    if image is None:
        raise SpecError("image", f"{req.image!r} is not in the catalog: "
                        f"{', '.join(sorted(site.images)) or 'none'}")
    engine = image.runtime or site.runtime
    runtime = get_runtime(engine, **site.runtime_options.get(engine, {}))
    host_dir = f"{site.host_home.rstrip('/')}/{job_dir(site, job_id)}"
    probe = ContainerLaunch(image=image.path, command=("true",), home=site.host_home,
                            user=user)
    inside_home = runtime.home_inside(probe)
    inside_dir = f"{inside_home.rstrip('/')}/{job_dir(site, job_id)}"
    scratch = Scratch(**site.scratch) if site.scratch else None
    env = [*req.env, ("HOME", inside_home), ("FUNICULAR_JOB", job_id),
           ("FUNICULAR_JOB_DIR", inside_dir)]
    if scratch:
        env += scratch.env
    launch = ContainerLaunch(
        image=image.path, command=req.command, env=tuple(env), home=site.host_home,
        user=user, workdir=req.workdir or inside_dir, gpus=req.gpus > 0,
        binds=tuple(Bind(source, target) for source, target in site.binds),
        mpi=req.mpi, scratch=scratch)
    argv = runtime.argv(launch)
    tasks = req.nodes * req.tasks_per_node
    if runtime.name != "enroot" and (tasks > 1 or req.mpi != "none"):
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
    runtime, image, home = _stage_runtime(site, user)
    inside = f"{home}/{job_dir(site, job_id)}"

    def step(direction: str, pairs) -> list[str]:
        if not pairs:
            return []
        return runtime.argv(ContainerLaunch(
            image=image.path, command=("funicular-stage", direction, f"{inside}/{STAGE_SPEC}"),
            env=(("HOME", home),), home=site.host_home, user=user,
            workdir=inside, binds=tuple(Bind(s, t) for s, t in site.binds)))

    stage_in, stage_out = step("in", req.stage_in), step("out", req.stage_out)
    return [runtime.helper("staged.sh"), f"{host_dir}/{STAGE_CREDENTIALS}",
            str(len(stage_in)), *stage_in, str(len(stage_out)), *stage_out, *argv]


def _stage_runtime(site: JobSite, user: str):
    image = site.images[site.stage_image]
    engine = image.runtime or site.runtime
    runtime = get_runtime(engine, **site.runtime_options.get(engine, {}))
    probe = ContainerLaunch(image=image.path, command=("true",), home=site.host_home,
                            user=user)
    return runtime, image, runtime.home_inside(probe).rstrip("/")


def stage_spec(req: JobRequest, site: JobSite, job_id: str, user: str) -> dict:
    """What ``funicular-stage`` reads (paths as the stage container sees them)."""
    inside = f"{_stage_runtime(site, user)[2]}/{job_dir(site, job_id)}"
    return {"dir": inside, "credentials": f"{inside}/{STAGE_CREDENTIALS}",
            "in": [list(p) for p in req.stage_in], "out": [list(p) for p in req.stage_out]}
