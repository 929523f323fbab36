"""One recipe for any containerised job: the notebook server and follow-on jobs.

From the site (``JobSite``: catalog, engines and their options, binds, scratch, the
user's home as the nodes see it, taken from the site's passwd by the hub) and what
runs, to the engine's argv. The home inside the container, ``HOME``, the working
directory, the binds, the environment allow-list, GPUs and the volatile scratch are
decided here and nowhere else, so a notebook and the jobs it submits see the same
paths under every engine (Charliecloud mounts the home at /home/<user>; Podman and
Apptainer at the host's path).
"""

from dataclasses import dataclass

from ..containers import Bind, ContainerLaunch, ContainerRuntime, Scratch, get_runtime
from ..errors import SpecError
from .site import JobSite, SiteImage


@dataclass(frozen=True)
class Containerised:
    """What a launch came to: the engine, its argv, and the home as the container sees it."""

    runtime: ContainerRuntime
    argv: list[str]
    home: str  # inside the container, without a trailing slash


def site_image(site: JobSite, name: str) -> SiteImage:
    image = site.images.get(name)
    if image is None:
        raise SpecError("image", f"{name!r} is not in the catalog: "
                        f"{', '.join(sorted(site.images)) or 'none'}")
    return image


def runtime_for(site: JobSite, image: SiteImage, engine: str | None = None) -> ContainerRuntime:
    """The engine a launch runs under: the one asked for (a profile's), else the
    image's own, else the site's."""
    name = engine or image.runtime or site.runtime
    return get_runtime(name, **site.runtime_options.get(name, {}))


def home_inside(runtime: ContainerRuntime, image: SiteImage, site: JobSite, user: str) -> str:
    probe = ContainerLaunch(image=image.path, command=("true",), home=site.host_home,
                            user=user)
    return runtime.home_inside(probe).rstrip("/") or "/"


def containerised(site: JobSite, image: SiteImage, command: tuple[str, ...], *, user: str,
                  engine: str | None = None, workdir: str = "", env=(), gpus: bool = False,
                  mpi: str = "none", scratch: bool = True) -> Containerised:
    """``command`` in ``image`` as ``user``. ``workdir``: relative to the home inside
    (empty: the home itself), or absolute as the user asked; ``env``: set after the
    image's own, under ours (HOME, the scratch's; never secrets: they are argv)."""
    runtime = runtime_for(site, image, engine)
    home = home_inside(runtime, image, site, user)
    cwd = workdir if workdir.startswith("/") else \
        f"{home.rstrip('/')}/{workdir}".rstrip("/") if workdir else home
    area = Scratch(**site.scratch) if scratch and site.scratch else None
    launch = ContainerLaunch(
        image=image.path, command=tuple(command), home=site.host_home, user=user,
        workdir=cwd, gpus=gpus, mpi=mpi, scratch=area,
        binds=tuple(Bind(source, target) for source, target in site.binds),
        env=(*env, ("HOME", home), *(area.env if area else ())))
    return Containerised(runtime, runtime.argv(launch), home)
