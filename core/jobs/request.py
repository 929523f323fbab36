"""What a user asks for when submitting a follow-on job from a notebook: ``JobRequest``.

One request for every backend (Slurm CLI, slurmrestd, UNICORE). It is built from
untrusted JSON by ``from_json``, which refuses unknown keys and wrong types with a
message naming the field, so a ``JobRequest`` that exists can be turned into a batch
job as it is. Images are catalog names, never paths: the site decides what runs.
"""

import re
from dataclasses import asdict, dataclass, fields

from .. import validate as v
from ..batchjob import (
    MAX_CPUS,
    MAX_GPUS,
    MAX_MEMORY_MB,
    MAX_MINUTES,
    MAX_NODES,
    MAX_TASKS_PER_NODE,
)
from ..containers.base import MPI_MODES
from ..errors import SpecError
from ..storage.location import parse, relative

MAX_ARGS = 256
MAX_ARG_LEN = 8192
MAX_ENV = 64
MAX_ARRAY_TASKS = 10000
MAX_AFTER = 32
MAX_STAGE = 64
# a job id as the API hands it out (see store.new_id); dependencies name these
_JOB_ID = re.compile(r"[a-z0-9]{6,32}")


def array_tasks(value: str) -> list[int]:
    """The task indices of a validated --array value."""
    out: list[int] = []
    for part in value.split("%")[0].split(","):
        lo, _, rest = part.partition("-")
        hi, _, step = rest.partition(":")
        out.extend(range(int(lo), int(hi or lo) + 1, int(step or 1)))
    return out


@dataclass(frozen=True)
class JobRequest:
    """A containerised batch job as a notebook user asks for it."""

    image: str  # a name from the site's image catalog
    command: tuple[str, ...]
    partition: str
    nodes: int = 1
    tasks_per_node: int = 1
    cpus_per_task: int = 1
    gpus: int = 0  # per node
    memory_mb: int | None = None  # per node
    minutes: int = 60
    account: str | None = None
    mpi: str = "none"  # "hybrid": MPI in the image, one container per task by srun
    env: tuple[tuple[str, str], ...] = ()
    workdir: str | None = None  # default: the job's own directory
    array: str | None = None  # a parameter sweep: SLURM_ARRAY_TASK_ID in each task
    after: tuple[str, ...] = ()  # ids of jobs that must complete successfully first
    name: str = "job"
    # (object URL, path in the job's directory): fetched on the node before the job runs
    stage_in: tuple[tuple[str, str], ...] = ()
    # (path in the job's directory, object URL): uploaded on the node after it ends
    stage_out: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        v.name("image", self.image)
        if not isinstance(self.command, tuple) or not self.command:
            raise SpecError("command", "must be a non-empty list of strings")
        if len(self.command) > MAX_ARGS:
            raise SpecError("command", f"at most {MAX_ARGS} arguments")
        for arg in self.command:
            if not isinstance(arg, str) or "\0" in arg or len(arg) > MAX_ARG_LEN:
                raise SpecError("command", "every argument must be a string without NUL, "
                                f"at most {MAX_ARG_LEN} characters")
        v.name("partition", self.partition)
        v.integer("nodes", self.nodes, 1, MAX_NODES)
        v.integer("tasks_per_node", self.tasks_per_node, 1, MAX_TASKS_PER_NODE)
        v.integer("cpus_per_task", self.cpus_per_task, 1, MAX_CPUS)
        v.integer("gpus", self.gpus, 0, MAX_GPUS)
        if self.memory_mb is not None:
            v.integer("memory_mb", self.memory_mb, 1, MAX_MEMORY_MB)
        v.integer("minutes", self.minutes, 1, MAX_MINUTES)
        if self.account is not None:
            v.name("account", self.account)
        if self.mpi not in MPI_MODES:
            raise SpecError("mpi", f"{self.mpi!r} is not one of {', '.join(MPI_MODES)}")
        if len(self.env) > MAX_ENV:
            raise SpecError("env", f"at most {MAX_ENV} variables")
        for key, value in self.env:
            v.env_key("env", key)
            if key.startswith(("SLURM_", "FUNICULAR_", "JUPYTERHUB_")):
                raise SpecError("env", f"{key} is set by the system, not by a job")
            v.env_value(key, value)
        if self.workdir is not None:
            v.path("workdir", self.workdir)
        if self.array is not None:
            v.array("array", self.array)
            if len(array_tasks(self.array)) > MAX_ARRAY_TASKS:
                raise SpecError("array", f"more than the {MAX_ARRAY_TASKS} tasks allowed")
        if len(self.after) > MAX_AFTER:
            raise SpecError("after", f"at most {MAX_AFTER} jobs")
        for job_id in self.after:
            if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
                raise SpecError("after", f"{job_id!r} is not a job id")
        v.name("name", self.name)
        for key, pairs, remote in (("stage_in", self.stage_in, 0),
                                   ("stage_out", self.stage_out, 1)):
            if len(pairs) > MAX_STAGE:
                raise SpecError(key, f"at most {MAX_STAGE} files")
            for pair in pairs:
                url = parse(pair[remote], key)
                if not url.is_object_store or not url.key or url.key.endswith("/"):
                    raise SpecError(key, f"{pair[remote]!r} does not name an object in a "
                                    "store (swift://container/key or s3://bucket/key)")
                relative(key, pair[1 - remote])
        if (self.stage_in or self.stage_out) and self.array:
            raise SpecError("stage_in" if self.stage_in else "stage_out",
                            "array jobs cannot stage data (every task would)")

    def to_json(self) -> dict:
        d = asdict(self)
        d["command"] = list(self.command)
        d["env"] = dict(self.env)
        d["after"] = list(self.after)
        d["stage_in"] = [{"src": a, "dst": b} for a, b in self.stage_in]
        d["stage_out"] = [{"src": a, "dst": b} for a, b in self.stage_out]
        return d


_FIELDS = {f.name: f for f in fields(JobRequest)}
_REQUIRED = ("image", "command", "partition")


def from_json(data: object) -> JobRequest:
    """A ``JobRequest`` from decoded JSON, or a SpecError naming what is wrong."""
    if not isinstance(data, dict):
        raise SpecError("job", "must be a JSON object")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise SpecError(unknown[0], f"unknown field; known: {', '.join(_FIELDS)}")
    for key in _REQUIRED:
        if data.get(key) in (None, "", []):
            raise SpecError(key, "is required")
    kw = dict(data)
    if isinstance(kw["command"], str):
        raise SpecError("command", "must be a list of arguments, not one string: no shell "
                        "parses it (use [\"sh\", \"-c\", \"...\"] if you want one)")
    if not isinstance(kw["command"], list):
        raise SpecError("command", "must be a list of strings")
    kw["command"] = tuple(kw["command"])
    env = kw.get("env", {})
    if not isinstance(env, dict):
        raise SpecError("env", "must be an object of NAME: value")
    kw["env"] = tuple(env.items())
    after = kw.get("after", [])
    if isinstance(after, str):
        after = [after]
    if not isinstance(after, list):
        raise SpecError("after", "must be a list of job ids")
    kw["after"] = tuple(after)
    for key in ("stage_in", "stage_out"):
        kw[key] = _pairs(key, kw.get(key, []))
    return JobRequest(**kw)


def _pairs(key: str, value: object) -> tuple[tuple[str, str], ...]:
    """[{"src": ..., "dst": ...}, ...] as (src, dst) pairs of strings."""
    if not isinstance(value, list):
        raise SpecError(key, 'must be a list of {"src": ..., "dst": ...}')
    out = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"src", "dst"} or not all(
                isinstance(x, str) for x in item.values()):
            raise SpecError(key, 'each entry must be {"src": "...", "dst": "..."}')
        out.append((item["src"], item["dst"]))
    return tuple(out)
