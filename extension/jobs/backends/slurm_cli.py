"""Slurm's own commands, run as the notebook's user: where the image has the Slurm
client and the node's munge socket and slurm.conf are bound in."""

import importlib.resources

from funicular.core.slurm.cli import SlurmCLI

from .base import register
from .slurm import SlurmBackend


@register
class SlurmCLIBackend(SlurmBackend):
    name = "cli"

    def __init__(self, site, user, env):
        super().__init__(site, user, env)
        self.slurm = SlurmCLI(become="none")
        # the same fixed batch script as notebook servers: the command is its argv
        self.script = str(importlib.resources.files("funicular.core") / "launch.sh")
