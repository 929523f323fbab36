"""Enroot through pyxis: ``srun --container-image``, the container as a job step.

Built from pyxis's documented srun options (neither Enroot nor pyxis is packaged for
Debian 12: tested argv by argv). srun passes the environment on, so ``envfilter.sh``
keeps the allow-list only; ``--container-env`` lets the allowed host variables win
over the image's. GPUs come through Enroot's NVIDIA hook from Slurm's allocation.
MPI hybrid mode is srun's own (``--mpi=pmix``); bind mode binds the host MPI. The
scratch is ``--container-writable`` (the root file system in Enroot's data path,
RAM-backed at most sites) or a bind of a node-local RAM directory.
"""

from .base import ContainerLaunch, ContainerRuntime


class EnrootPyxis(ContainerRuntime):
    name = "enroot"
    executable = "srun"

    def __init__(self, executable: str | None = None, mpi_plugin: str = "pmix",
                 helpers_dir: str | None = None):
        super().__init__(executable, helpers_dir)
        self.mpi_plugin = mpi_plugin

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable, f"--container-image={launch.image}"]
        mounts = [f"{b.source}:{b.target}" for b in self._binds(launch)]
        if launch.scratch is not None and launch.scratch.source:
            mounts.append(f"{launch.scratch.source}:{launch.scratch.target}")
        if mounts:
            argv.append(f"--container-mounts={','.join(mounts)}")
        argv.append("--container-mount-home" if launch.mount_home
                    else "--no-container-mount-home")
        if launch.scratch is not None and not launch.scratch.source:
            argv.append("--container-writable")
        if launch.workdir:
            argv.append(f"--container-workdir={launch.workdir}")
        ours = self._env(launch)
        if ours:  # set for srun by env(1), and named so they win over the image's
            argv.append(f"--container-env={','.join(k for k, _ in ours)}")
        if launch.mpi == "hybrid":
            argv.append(f"--mpi={self.mpi_plugin}")
        argv.extend(launch.command)
        if ours:
            argv = ["env", *(f"{k}={v}" for k, v in ours), *argv]
        return self._filtered(launch, argv)
