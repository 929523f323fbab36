"""Podman: OCI images from containers-storage, rootless or as root.

Podman passes no host variable unless asked, so the allow-list becomes ``--env``
patterns (Podman expands ``SLURM_*`` itself). ``--network=host`` (HPC jobs use the
node's network; rootless slirp needs /dev/net/tun) and ``--userns=keep-id`` (files in
the home keep the user's uid). GPUs through CDI (``nvidia.com/gpu=all``; Slurm's
cgroup limits the job to its allocated devices). Scratch: a tmpfs of its own.
"""

from .base import ContainerLaunch, ContainerRuntime, register


@register
class Podman(ContainerRuntime):
    name = "podman"
    executable = "podman"

    def __init__(self, executable: str | None = None, runtime: str | None = None,
                 rootless: bool = True, image_stores: tuple[str, ...] = ()):
        super().__init__(executable)
        self.oci_runtime = runtime  # e.g. "runc" where crun cannot run (hybrid cgroups)
        self.rootless = rootless
        # shared read-only stores (images imported once by the admin, seen by every
        # user; rootless Podman ignores them in /etc/containers/storage.conf)
        self.image_stores = tuple(image_stores)

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable]
        argv.extend(f"--storage-opt=additionalimagestore={s}" for s in self.image_stores)
        argv += ["run", "--rm", "--init", "--network=host"]
        if self.rootless:
            argv.append("--userns=keep-id")
        if self.oci_runtime:
            argv.append(f"--runtime={self.oci_runtime}")
        argv.extend(f"--env={pattern}" for pattern in launch.allowed_env)
        argv.extend(f"--env={key}={value}" for key, value in self._env(launch))
        if launch.mount_home and launch.home:
            argv.append(f"--volume={launch.home}:{launch.home}")
            argv.append(f"--env=HOME={launch.home}")
        for b in self._binds(launch):
            argv.append(f"--volume={b.source}:{b.target}")
        if launch.scratch is not None:
            s = launch.scratch
            argv.append(f"--tmpfs={s.target}:rw,size={s.size_mb}m,mode=1777")
        if launch.gpus:
            argv.append("--device=nvidia.com/gpu=all")
        if launch.workdir:
            argv.append(f"--workdir={launch.workdir}")
        argv.append(launch.image)
        argv.extend(launch.command)
        return argv
