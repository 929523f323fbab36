"""One small interface for every container engine: a launch spec in, argv out."""

from dataclasses import dataclass, field
from typing import ClassVar

from .. import validate as v

# Host variables a containerised process may see; everything else is dropped so that
# the hub's or the login shell's PATH, PIP_*, VIRTUAL_ENV... never leak into an image.
DEFAULT_ENV_ALLOW = (
    "USER", "LOGNAME", "LANG", "TZ", "TERM",
    "SLURM_*", "SLURMD_NODENAME",
    "CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES",
)


@dataclass(frozen=True)
class Bind:
    source: str
    target: str

    def __post_init__(self):
        v.path("bind source", self.source)
        v.path("bind target", self.target)
        if ":" in self.source or ":" in self.target or "," in self.source + self.target:
            raise ValueError("bind paths may not contain ':' or ','")


@dataclass(frozen=True)
class ContainerLaunch:
    """How to run one command in one image."""

    image: str
    command: tuple[str, ...]
    binds: tuple[Bind, ...] = ()
    # variables set after the image's own environment; never secrets (they are argv)
    env: tuple[tuple[str, str], ...] = ()
    env_allow: tuple[str, ...] = DEFAULT_ENV_ALLOW
    workdir: str | None = None
    mount_home: bool = True

    def __post_init__(self):
        v.path("image", self.image)
        if not self.command:
            raise ValueError("command may not be empty")
        for key, value in self.env:
            v.env_key("env", key)
            v.env_value(key, value)
        for pattern in self.env_allow:
            if not pattern.replace("*", "").replace("_", "").isalnum():
                raise ValueError(f"bad environment pattern {pattern!r}")
        if self.workdir is not None:
            v.path("workdir", self.workdir)


class ContainerRuntime:
    """Base of all engines. Subclasses set ``name`` and implement ``argv``."""

    name: ClassVar[str] = ""
    executable: str = ""

    def __init__(self, executable: str | None = None):
        if executable:
            self.executable = executable

    def argv(self, launch: ContainerLaunch) -> list[str]:
        raise NotImplementedError


@dataclass
class _Registry:
    engines: dict[str, type[ContainerRuntime]] = field(default_factory=dict)


_registry = _Registry()


def register(cls: type[ContainerRuntime]) -> type[ContainerRuntime]:
    """Class decorator: make an engine available by its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    _registry.engines[cls.name] = cls
    return cls


def get_runtime(name: str, **kwargs) -> ContainerRuntime:
    try:
        return _registry.engines[name](**kwargs)
    except KeyError:
        known = ", ".join(sorted(_registry.engines))
        raise ValueError(f"unknown container runtime {name!r}; known: {known}") from None


def available_runtimes() -> list[str]:
    return sorted(_registry.engines)
