"""Slurm's own commands, run as the notebook's user: where the image has the Slurm
client and the node's munge socket and slurm.conf are bound in."""

from funicular.core.slurm.cli import SlurmCLI

from .slurm import SlurmJobBackend


class SlurmCLIJobBackend(SlurmJobBackend):
    name = "cli"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        self.slurm = SlurmCLI(become="none")
