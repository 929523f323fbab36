"""The one launch recipe (core/jobs/launch.py) under every engine: the home, HOME and
the working directory come from the engine and the site's home, never from a
``/home/<user>`` pattern. Pure functions, argv by argv; no stand-ins."""

import re

import pytest

from funicular.core.containers import ContainerLaunch, available_runtimes, get_runtime
from funicular.core.errors import SpecError
from funicular.core.jobs import JobSite, SiteImage
from funicular.core.jobs import launch as L

USER, HOME = "jdoe", "/srv/homes/jdoe"  # a home outside /home
# how each engine is told the working directory (Apptainer's --workdir is its scratch)
CWD_FLAGS = {"charliecloud": "--cd=", "podman": "--workdir=", "apptainer": "--pwd=",
             "singularity": "--pwd=", "sarus": "--workdir=", "shifter": "--workdir=",
             "enroot": "--container-workdir="}
# how each engine is told our variables
_ENV = re.compile(r"(?:--set-env=|--env=|APPTAINERENV_|SINGULARITYENV_)?HOME=(.+)")


def home_and_cwd(engine: str, argv) -> tuple[set[str], list[str]]:
    """The values HOME is set to in ``argv``, and the working directories it names."""
    if engine not in CWD_FLAGS:
        pytest.fail(f"tell this test how {engine} sets the working directory")
    homes = {m.group(1) for a in argv if (m := _ENV.fullmatch(a))}
    flag = CWD_FLAGS[engine]
    return homes, [a[len(flag):] for a in argv if a.startswith(flag)]


def site(engine: str, **kw) -> JobSite:
    return JobSite(images={"notebook": SiteImage("/apps/images/notebook")}, host_home=HOME,
                   runtime=engine, binds=(("/scratch", "/scratch"),),
                   scratch={"target": "/tmp", "size_mb": 256, "source": "/dev/shm/jobs"}, **kw)


def engine_home(engine: str) -> str:
    """Where the engine itself puts the user's home."""
    probe = ContainerLaunch(image="/apps/images/notebook", command=("true",), home=HOME,
                            user=USER)
    return get_runtime(engine).home_inside(probe).rstrip("/")


@pytest.mark.parametrize("engine", available_runtimes())
@pytest.mark.parametrize("workdir", ["", "analysis/run1", "/scratch/jdoe"])
def test_home_and_workdir_follow_the_engine(engine, workdir):
    s = site(engine)
    job = L.containerised(s, s.images["notebook"], ("python3", "run.py"), user=USER,
                          workdir=workdir)
    home = engine_home(engine)
    assert job.home == home == L.home_inside(job.runtime, s.images["notebook"], s, USER)
    assert job.runtime.name == engine
    homes, cwd = home_and_cwd(engine, job.argv)
    assert homes == {home}
    expected = workdir if workdir.startswith("/") else f"{home}/{workdir}".rstrip("/")
    assert cwd == [expected]
    if home != f"/home/{USER}":  # only an engine that mounts the home there may say it
        assert f"/home/{USER}" not in " ".join(job.argv)


def test_charliecloud_mounts_the_home_at_home_user_and_podman_at_its_path():
    assert engine_home("charliecloud") == f"/home/{USER}"
    assert engine_home("podman") == engine_home("apptainer") == HOME


@pytest.mark.parametrize("engine", available_runtimes())
def test_our_home_wins_over_the_callers_env(engine):
    s = site(engine)
    job = L.containerised(s, s.images["notebook"], ("true",), user=USER,
                          env=(("HOME", "/elsewhere"), ("A", "1")))
    homes, _ = home_and_cwd(engine, job.argv)
    assert engine_home(engine) in homes
    # set after the caller's: the last HOME an engine applies is ours
    last = [m.group(1) for a in job.argv if (m := _ENV.fullmatch(a))][-1]
    assert last == engine_home(engine)


def test_scratch_only_when_asked_and_the_site_has_one():
    s = site("podman")
    with_scratch = L.containerised(s, s.images["notebook"], ("true",), user=USER)
    assert "--tmpfs=/tmp:rw,size=256m,mode=1777" in with_scratch.argv
    assert "--env=TMPDIR=/tmp" in with_scratch.argv
    bare = L.containerised(s, s.images["notebook"], ("true",), user=USER, scratch=False)
    assert not any(a.startswith("--tmpfs") or "TMPDIR" in a for a in bare.argv)


def test_the_engine_asked_for_then_the_images_then_the_sites():
    s = JobSite(images={"plain": SiteImage("/i/plain"),
                        "pod": SiteImage("localhost/pod", runtime="podman")},
                host_home=HOME, runtime="apptainer",
                runtime_options={"apptainer": {"executable": "/opt/bin/apptainer"}})
    assert L.runtime_for(s, s.images["plain"]).name == "apptainer"
    assert L.runtime_for(s, s.images["plain"]).executable == "/opt/bin/apptainer"
    assert L.runtime_for(s, s.images["pod"]).name == "podman"
    assert L.runtime_for(s, s.images["pod"], "sarus").name == "sarus"


def test_an_image_outside_the_catalog_is_refused_naming_it():
    with pytest.raises(SpecError) as e:
        L.site_image(site("podman"), "secret")
    assert e.value.field == "image" and "'secret'" in str(e.value) and "notebook" in str(e.value)
