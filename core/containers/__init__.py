"""Container engines behind one interface, looked up by name (``get_runtime``)."""

from . import charliecloud  # noqa: F401  (registers itself)
from .base import (
    DEFAULT_ENV_ALLOW,
    Bind,
    ContainerLaunch,
    ContainerRuntime,
    available_runtimes,
    get_runtime,
    register,
)

__all__ = [
    "DEFAULT_ENV_ALLOW", "Bind", "ContainerLaunch", "ContainerRuntime",
    "available_runtimes", "get_runtime", "register",
]
