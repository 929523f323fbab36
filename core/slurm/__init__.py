"""Slurm access: pure argv builders, output parsers and an async CLI client."""

from .argv import sbatch_argv, scancel_argv
from .cli import SlurmCLI
from .jobinfo import ACTIVE_STATES, JobInfo
from .status import JobStatusCache

__all__ = [
    "ACTIVE_STATES", "JobInfo", "JobStatusCache", "SlurmCLI", "sbatch_argv",
    "scancel_argv",
]
