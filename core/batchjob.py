"""Typed job specs: what a batch job asks Slurm for, independent of how it is submitted.

Specs validate themselves on construction, so a ``BatchJob`` that exists is one
that may be turned into sbatch argv or a slurmrestd request as it is.
"""

from dataclasses import dataclass, field

from . import validate as v
from .errors import SpecError

MAX_NODES = 1024
MAX_CPUS = 4096
MAX_GPUS = 64
MAX_MEMORY_MB = 64 * 1024 * 1024
MAX_MINUTES = 60 * 24 * 30
MAX_TASKS_PER_NODE = 1024


@dataclass(frozen=True)
class Resources:
    """What the job needs from the scheduler."""

    partition: str
    nodes: int = 1
    cpus: int = 1  # per task; one task per node for a notebook server
    memory_mb: int | None = None  # per node; None = the partition default
    gpus: int = 0  # per node
    minutes: int = 60
    account: str | None = None
    reservation: str | None = None
    qos: str | None = None

    def __post_init__(self):
        v.name("partition", self.partition)
        v.integer("nodes", self.nodes, 1, MAX_NODES)
        v.integer("cpus", self.cpus, 1, MAX_CPUS)
        if self.memory_mb is not None:
            v.integer("memory_mb", self.memory_mb, 1, MAX_MEMORY_MB)
        v.integer("gpus", self.gpus, 0, MAX_GPUS)
        v.integer("minutes", self.minutes, 1, MAX_MINUTES)
        for key in ("account", "reservation", "qos"):
            if getattr(self, key) is not None:
                v.name(key, getattr(self, key))


@dataclass(frozen=True)
class BatchJob:
    """A batch job: resources plus the argv that the launcher script runs."""

    name: str
    resources: Resources
    command: tuple[str, ...]
    workdir: str
    output: str  # may contain Slurm's %j
    requeue: bool = False
    # Slurm --signal: "SIG@seconds" sent before the time limit (the walltime warning)
    warn_signal: str | None = None
    comment: str | None = None
    extra: tuple[str, ...] = field(default=())  # admin-only sbatch options, never user input
    tasks_per_node: int = 1  # a notebook server: 1; an MPI job: its ranks per node
    array: str | None = None  # sbatch --array, a parameter sweep
    after_ok: tuple[str, ...] = ()  # Slurm job ids that must complete successfully first

    def __post_init__(self):
        v.name("name", self.name)
        if not self.command or not all(isinstance(a, str) and "\0" not in a for a in self.command):
            raise SpecError("command", "must be a non-empty list of strings")
        v.path("workdir", self.workdir)
        v.path("output", self.output)
        if self.warn_signal is not None:
            sig, _, secs = self.warn_signal.partition("@")
            if not (sig.isascii() and sig.isalnum() and secs.isascii() and secs.isdigit()
                    and 0 < int(secs) <= 65535):
                raise SpecError("warn_signal", f"{self.warn_signal!r} is not SIGNAL@SECONDS")
        if self.comment is not None:
            v.env_value("comment", self.comment)
        v.integer("tasks_per_node", self.tasks_per_node, 1, MAX_TASKS_PER_NODE)
        if self.array is not None:
            v.array("array", self.array)
        for job_id in self.after_ok:
            if not (isinstance(job_id, str) and job_id.isascii() and job_id.isdigit()):
                raise SpecError("after_ok", f"{job_id!r} is not a Slurm job id")
