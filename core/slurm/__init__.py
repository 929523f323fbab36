"""Slurm access: one backend interface (``SlurmBackend``, chosen by ``make_backend``)
on the commands or slurmrestd, pure argv builders and output parsers, and the caches
that share one status query and one cluster view per process."""

from .argv import sbatch_argv, scancel_argv
from .backend import SlurmBackend, SlurmSettings, check_rest, make_backend
from .cli import SlurmCLI
from .jobinfo import ACTIVE_STATES, JobInfo, QueuedJob
from .status import JobStatusCache

__all__ = [
    "ACTIVE_STATES", "JobInfo", "JobStatusCache", "QueuedJob", "SlurmBackend", "SlurmCLI",
    "SlurmSettings", "check_rest", "make_backend", "sbatch_argv", "scancel_argv",
]
