"""Charliecloud: unprivileged ``ch-run`` on directory or SquashFS images."""

from .base import ContainerLaunch, ContainerRuntime, register


@register
class Charliecloud(ContainerRuntime):
    name = "charliecloud"
    executable = "ch-run"

    def argv(self, launch: ContainerLaunch) -> list[str]:
        argv = [self.executable]
        if launch.mount_home:
            argv.append("--home")  # host $HOME at /home/$USER
        # ch-run applies --unset-env/--set-env in order: drop the host environment but
        # the allow-list, then the image's /ch/environment, then ours (unexpanded).
        argv.append(f"--unset-env=!({'|'.join(launch.env_allow)})")
        argv.append("--set-env")
        if launch.env:
            argv.append("--env-no-expand")
            argv.extend(f"--set-env={key}={value}" for key, value in launch.env)
        for b in launch.binds:
            argv.append(f"--bind={b.source}:{b.target}")
        if launch.workdir:
            argv.append(f"--cd={launch.workdir}")
        argv.append(launch.image)
        argv.append("--")
        argv.extend(launch.command)
        return argv
