"""Slurm's own commands, run as the notebook's user: where the image has the Slurm
client (or the site binds its own in, ``JobSite.slurm_bin_dir``) and the node's munge
socket and slurm.conf are bound in."""

import os

from funicular.core.slurm.cli import SlurmCLI

from .slurm import SlurmJobBackend

COMMANDS = ("sbatch", "squeue", "scancel", "scontrol", "sacct", "sacctmgr")


def commands(bin_dir: str | None) -> dict[str, str]:
    """SlurmCLI's command arguments: bare names (PATH), or paths in the site's
    directory of Slurm commands."""
    if not bin_dir:
        return {}
    return {name: os.path.join(bin_dir, name) for name in COMMANDS}


class SlurmCLIJobBackend(SlurmJobBackend):
    name = "cli"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        self.slurm = SlurmCLI(become="none", **commands(site.slurm_bin_dir))
