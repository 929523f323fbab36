"""Container engines behind one interface, looked up by name (``get_runtime``).

Each engine's module is imported the first time it is asked for (``ENGINES``, the
registry of names to classes), not here.
"""

from .base import (
    DEFAULT_ENV_ALLOW,
    ENGINES,
    MPI_MODES,
    Bind,
    ContainerLaunch,
    ContainerRuntime,
    Scratch,
    available_runtimes,
    get_runtime,
    known_runtime,
    register,
)

__all__ = [
    "DEFAULT_ENV_ALLOW", "ENGINES", "MPI_MODES", "Bind", "ContainerLaunch", "ContainerRuntime",
    "Scratch", "available_runtimes", "get_runtime", "known_runtime", "register",
]
