"""Charliecloud: unprivileged ``ch-run`` on directory or SquashFS images.

GPUs: ch-run has no flag for them; the image must have been prepared once with
``ch-fromhost --nvidia IMAGE`` (the driver libraries copied in), and the Slurm
allocation's CUDA_VISIBLE_DEVICES is passed through the allow-list. Scratch at /tmp:
``--private-tmp``, a tmpfs of the container's own (charged to the job's memory cgroup,
gone with the container); elsewhere, a bind of a node-local RAM-backed directory
(ch-run 0.31 mounts no other tmpfs).

Every ch-run starts under the node helper ``ch-run-job.sh``. ch-run 0.31 looks an
image up in its storage directory first, a path too, and that is /var/tmp/$USER.ch
unless told otherwise; it also mounts SquashFS images on /var/tmp/$USER.ch/mnt. Any
user of the node can make that name first, and then choose the image the user's jobs
run, or make them fail. The helper gives ch-run ``--storage`` and, for a SquashFS
image, ``--mount`` in the user's private directory on the node (``nodetmp.sh``).
"""

from ..errors import SpecError
from .base import ContainerLaunch, ContainerRuntime

# starts ch-run with private storage and SquashFS mount point (a node helper)
CH_RUN_JOB = "ch-run-job.sh"


class Charliecloud(ContainerRuntime):
    name = "charliecloud"
    executable = "ch-run"

    def home_inside(self, launch: ContainerLaunch) -> str:
        """``ch-run --home`` puts the host home at /home/$USER."""
        if not launch.user:
            raise SpecError("user", "charliecloud needs the user's name for the home")
        return f"/home/{launch.user}"

    def argv(self, launch: ContainerLaunch) -> list[str]:
        # ch-run-job.sh adds --storage and --mount right after the executable
        argv = [self.helper(CH_RUN_JOB), self.executable]
        if launch.mount_home:
            argv.append("--home")  # host $HOME at /home/$USER
        # ch-run applies --unset-env/--set-env in order: drop the host environment but
        # the allow-list, then the image's /ch/environment, then ours (unexpanded).
        argv.append(f"--unset-env=!({'|'.join(launch.allowed_env)})")
        argv.append("--set-env")
        env = self._env(launch)
        if env:
            argv.append("--env-no-expand")
            argv.extend(f"--set-env={key}={value}" for key, value in env)
        binds = self._binds(launch)
        if any(b.target in ("/etc/passwd", "/etc/group") for b in binds):
            # the site's own user database instead of ch-run's two-line one (the Slurm
            # commands look up SlurmUser, and the home is where passwd says)
            argv.append("--no-passwd")
        for b in binds:
            argv.append(f"--bind={b.source}:{b.target}")
        if launch.scratch is not None:
            if launch.scratch.target == "/tmp" and not launch.scratch.source:
                argv.append("--private-tmp")
            else:
                argv.append(f"--bind={self._need_scratch_source(launch)}:"
                            f"{launch.scratch.target}")
        if launch.workdir:
            argv.append(f"--cd={launch.workdir}")
        argv.append(launch.image)
        argv.append("--")
        argv.extend(launch.command)
        return argv
