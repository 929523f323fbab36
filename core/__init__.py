"""Shared building blocks of Funicular: job specs, Slurm access, container runtimes.

Everything here is usable from the hub, from the notebook server and from inside a
container, so it depends on the standard library and traitlets only.
"""

from .errors import SpecError

__all__ = ["SpecError"]
