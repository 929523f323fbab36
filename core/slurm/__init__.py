"""Slurm access: pure argv builders, output parsers and an async CLI client."""

from .argv import sbatch_argv, scancel_argv, squeue_argv
from .cli import SlurmCLI
from .jobinfo import ACTIVE_STATES, JobInfo, parse_squeue

__all__ = [
    "ACTIVE_STATES", "JobInfo", "SlurmCLI", "parse_squeue",
    "sbatch_argv", "scancel_argv", "squeue_argv",
]
