"""Podman: OCI images from containers-storage, rootless or as root.

Podman passes no host variable unless asked, so the allow-list becomes ``--env``
patterns (Podman expands ``SLURM_*`` itself). ``--network=host`` and ``--uts=host``
(an HPC job is the node: its address and hostname; rootless slirp needs /dev/net/tun)
and ``--userns=keep-id`` (files in the home keep the user's uid). GPUs through CDI
(``nvidia.com/gpu=all``; Slurm's cgroup limits the job to its allocated devices).
Scratch: a tmpfs of its own. ``--init`` puts a small init first, which passes on the
signals ``podman run`` forwards (scancel's TERM, the walltime warning's USR1).

Images shared by every user come from a read-only store the admin fills once
(``deploy/images/podman-store``): rootless Podman ignores such stores in
/etc/containers/storage.conf, so they travel on the command line, and reading a
root-owned store under ``keep-id`` needs fuse-overlayfs as the mount program
(kernel overlay would first make an id-shifted copy of the whole image per user).
"""

from .. import validate as v
from ..errors import SpecError
from .base import ContainerLaunch, ContainerRuntime

# gives each job its own runtime and storage directories (a node helper): rootless
# Podman's pause process dies with the job that started it, and a stale one would stop
# the user's next job on the node
PODMAN_JOB = "podman-job.sh"


class Podman(ContainerRuntime):
    name = "podman"
    executable = "podman"

    def __init__(self, executable: str | None = None, runtime: str | None = None,
                 rootless: bool = True, image_stores: tuple[str, ...] = (),
                 mount_program: str | None = None, storage_driver: str | None = None,
                 storage_root: str | None = None, runtime_dir_per_job: bool = True,
                 helpers_dir: str | None = None):
        super().__init__(executable, helpers_dir)
        self.oci_runtime = runtime  # e.g. "runc" where crun cannot run (hybrid cgroups)
        self.rootless = rootless
        self.image_stores = tuple(v.path("podman image_stores", s) for s in image_stores)
        self.mount_program = mount_program and v.path("podman mount_program", mount_program)
        self.storage_driver = storage_driver and v.name("podman storage_driver", storage_driver)
        # the user's own containers (writable layers). Default: per job, node-local
        # (podman-job.sh); a fixed place must not be shared by jobs on several nodes.
        # "{user}" and "{home}" are filled in.
        self.storage_root = storage_root
        self.runtime_dir_per_job = rootless and runtime_dir_per_job

    def _root(self, launch: ContainerLaunch) -> str | None:
        if not self.storage_root:
            return None
        root = self.storage_root
        if "{user}" in root:
            if not launch.user:
                raise SpecError("podman storage_root", "'{user}' needs the launch's user")
            root = root.replace("{user}", v.username("user", launch.user))
        if "{home}" in root:
            if not launch.home:
                raise SpecError("podman storage_root", "'{home}' needs the launch's home")
            root = root.replace("{home}", launch.home)
        return v.path("podman storage_root", root)

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.helper(PODMAN_JOB)] if self.runtime_dir_per_job else []
        argv.append(self.executable)
        if root := self._root(launch):
            argv.append(f"--root={root}")
        if self.storage_driver:
            argv.append(f"--storage-driver={self.storage_driver}")
        argv.extend(f"--storage-opt=additionalimagestore={s}" for s in self.image_stores)
        if self.mount_program:
            argv.append(f"--storage-opt=overlay.mount_program={self.mount_program}")
        # passthrough: the server writes to the job's output file itself, not through
        # conmon, which Slurm's SIGTERM would end before the server's last lines
        argv += ["run", "--rm", "--init", "--network=host", "--uts=host",
                 "--log-driver=passthrough"]
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
