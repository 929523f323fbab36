"""Apptainer (and SingularityCE, the same CLI under another name): SIF images.

Built from the documented CLI; neither can be installed on the cluster in a box
(Debian 12 packages neither), so it is tested argv by argv only. Apptainer passes
the host environment through, so ``envfilter.sh`` runs it with the allow-list only;
``--nv`` brings in the NVIDIA driver when the allocation has GPUs; ``--writable-tmpfs``
gives the volatile scratch (an in-RAM overlay over the whole image), or ``--scratch``
with ``--workdir`` on a node-local RAM directory when one is given.
"""

from .base import ContainerLaunch, ContainerRuntime


class Apptainer(ContainerRuntime):
    name = "apptainer"
    executable = "apptainer"
    env_prefix = "APPTAINER"

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable, "exec"]
        if not launch.mount_home:
            argv.append("--no-home")
        if launch.gpus:
            argv.append("--nv")
        binds = self._binds(launch)
        if binds:
            argv.append("--bind=" + ",".join(f"{b.source}:{b.target}" for b in binds))
        if launch.scratch is not None:
            if launch.scratch.source:
                argv += [f"--scratch={launch.scratch.target}",
                         f"--workdir={launch.scratch.source}"]
            else:
                argv.append("--writable-tmpfs")
        if launch.workdir:
            argv.append(f"--pwd={launch.workdir}")
        argv.append(launch.image)
        argv.extend(launch.command)
        # ours as <PREFIX>ENV_K=V, which win over the image's %environment (and, unlike
        # --env, allow commas in values)
        ours = [f"{self.env_prefix}ENV_{key}={value}" for key, value in self._env(launch)]
        return self._filtered(launch, ["env", *ours, *argv] if ours else argv)


class Singularity(Apptainer):
    name = "singularity"
    executable = "singularity"
    env_prefix = "SINGULARITY"
