"""Container engines behind one interface, looked up by name (``get_runtime``)."""

from . import apptainer, charliecloud, enroot, podman, sarus, shifter  # noqa: F401 (register)
from .base import (
    DEFAULT_ENV_ALLOW,
    MPI_MODES,
    Bind,
    ContainerLaunch,
    ContainerRuntime,
    Scratch,
    available_runtimes,
    get_runtime,
    register,
)

__all__ = [
    "DEFAULT_ENV_ALLOW", "MPI_MODES", "Bind", "ContainerLaunch", "ContainerRuntime",
    "Scratch", "available_runtimes", "get_runtime", "register",
]
