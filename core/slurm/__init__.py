"""Slurm access: pure argv builders, output parsers and an async CLI client."""

from .argv import sbatch_argv, scancel_argv, squeue_argv
from .cli import SlurmCLI
from .jobinfo import ACTIVE_STATES, JobInfo, parse_squeue
from .status import JobStatusCache

__all__ = [
    "ACTIVE_STATES", "JobInfo", "JobStatusCache", "SlurmCLI", "parse_squeue",
    "sbatch_argv", "scancel_argv", "squeue_argv",
]
