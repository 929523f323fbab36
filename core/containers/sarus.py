"""Sarus (CSCS): OCI images pulled into the site's Sarus storage.

Built from the documented CLI (Sarus is not packaged for Debian 12: tested argv by
argv). Sarus passes the host environment through: ``envfilter.sh`` keeps the
allow-list only. GPUs come in through the NVIDIA hook when CUDA_VISIBLE_DEVICES is
set (Slurm sets it); ``--mpi`` is Sarus's bind mode (the MPI hook swaps in the
host's ABI-compatible MPI); scratch is a bind of a node-local RAM directory.
"""

from .base import ContainerLaunch, ContainerRuntime


class Sarus(ContainerRuntime):
    name = "sarus"
    executable = "sarus"

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable, "run"]
        if launch.mpi == "bind":
            argv.append("--mpi")  # the hook brings the host MPI; mpi_binds not needed
        binds = list(launch.binds)
        if launch.mount_home and launch.home:
            argv.append(f"--mount=type=bind,source={launch.home},destination={launch.home}")
        for b in binds:
            argv.append(f"--mount=type=bind,source={b.source},destination={b.target}")
        if launch.scratch is not None:
            argv.append(f"--mount=type=bind,source={self._need_scratch_source(launch)},"
                        f"destination={launch.scratch.target}")
        argv.extend(f"--env={key}={value}" for key, value in self._env(launch))
        if launch.workdir:
            argv.append(f"--workdir={launch.workdir}")
        argv.append(launch.image)
        argv.extend(launch.command)
        return self._filtered(launch, argv)
