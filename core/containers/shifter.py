"""Shifter (NERSC): images from the site's image gateway.

Built from the documented CLI (not installable here: tested argv by argv). Shifter
passes the host environment through: ``envfilter.sh`` keeps the allow-list only.
GPUs and MPI bind mode are site modules (``--module=gpu``, ``--module=mpich``);
the volatile scratch is a ``perNodeCache`` volume, a node-local file system created
for the job and thrown away after it.
"""

from .base import ContainerLaunch, ContainerRuntime


class Shifter(ContainerRuntime):
    name = "shifter"
    executable = "shifter"

    def __init__(self, executable: str | None = None, gpu_module: str = "gpu",
                 mpi_module: str = "mpich",
                 helpers_dir: str | None = None):
        super().__init__(executable, helpers_dir)
        self.gpu_module = gpu_module
        self.mpi_module = mpi_module

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable, f"--image={launch.image}"]
        modules = [m for m, on in ((self.gpu_module, launch.gpus),
                                   (self.mpi_module, launch.mpi == "bind")) if on]
        if modules:
            argv.append(f"--module={','.join(modules)}")
        for b in launch.binds:
            argv.append(f"--volume={b.source}:{b.target}")
        if launch.scratch is not None:
            s = launch.scratch
            argv.append(f"--volume={s.source or '/tmp'}:{s.target}:perNodeCache="
                        f"size={s.size_mb}M")
        argv.extend(f"--env={key}={value}" for key, value in self._env(launch))
        if launch.workdir:
            argv.append(f"--workdir={launch.workdir}")
        argv.append("--")
        argv.extend(launch.command)
        return self._filtered(launch, argv)
