"""The notebook server's batch job (spawner/notebookjob.py), side by side with a
follow-on job's (core.jobs.build): the issue's one behaviour change is that the
notebook gets the same home and paths as its jobs under every engine, for a home
that is not /home/<user>. Pure functions, argv by argv; the one FunicularSpawner
here is built without a user, for its ``engine_options`` only."""

import json

import pytest

from funicular.core.batchjob import Resources
from funicular.core.containers import available_runtimes
from funicular.core.hubapi import CONTAINER_ENGINE, JOB_SITE, MATERIAL_DIR, WALLTIME_WARNING
from funicular.core.jobs import JobSite, SiteImage, batch_job, from_json
from funicular.spawner.notebookjob import (
    ServerPaths,
    home_inside,
    job_name,
    marker,
    notebook_job,
    server_env,
    server_key,
)
from tests.unit.core.jobs.test_launch import HOME, USER, engine_home, home_and_cwd, site

PATHS = ServerPaths(".funicular/servers", "")


def notebook(s: JobSite, engine=None, image="notebook", **kw):
    return notebook_job(s, image=image, engine=engine, resources=Resources(partition="mc", **kw),
                        user=USER, paths=PATHS, args=("--debug",), name="funicular-default",
                        comment=marker("funicular", USER, ""), report_timeout=600,
                        walltime_warning=300)


def follow_on(s: JobSite, image="notebook", job_id="j1"):
    return batch_job(from_json({"image": image, "command": ["python3", "run.py"],
                                "partition": "mc"}), s, job_id=job_id, user=USER)


@pytest.mark.parametrize("engine", available_runtimes())
def test_the_notebook_and_its_jobs_see_the_same_home(engine):
    s = site(engine)
    nb, job = notebook(s), follow_on(s)
    home = engine_home(engine)
    assert home_inside(s, "notebook", None, USER) == home
    nb_home, nb_cwd = home_and_cwd(engine, nb.command)
    job_home, job_cwd = home_and_cwd(engine, job.command)
    assert nb_home == job_home == {home}
    assert nb_cwd == [home]  # where --env-file=<relative path> is found
    assert job_cwd == [f"{home}/funicular-jobs/j1"]
    if home != f"/home/{USER}":
        for argv in (nb.command, job.command):
            assert f"/home/{USER}" not in " ".join(argv)
    # on the host side of the home: Slurm's working directory and log
    assert nb.workdir == HOME and nb.output == f"{HOME}/.funicular/servers/default/slurm-%j.log"
    assert job.workdir == f"{HOME}/funicular-jobs/j1"


@pytest.mark.parametrize("engine", available_runtimes())
def test_the_notebook_command_and_what_it_is_told(engine):
    nb = notebook(site(engine), gpus=1)
    argv = list(nb.command)
    i = argv.index("funicular-singleuser")
    assert argv[i:] == ["funicular-singleuser", "--env-file=.funicular/servers/default/env",
                        "--report-timeout=600", "--", "--debug"]
    assert any(a.endswith(f"{CONTAINER_ENGINE}={engine}") for a in argv[:i])
    assert nb.warn_signal == "USR1@300" and nb.comment == f"funicular funicular {USER}/"


def test_a_profiles_engine_wins_over_the_sites():
    nb = notebook(site("charliecloud"), engine="podman")
    assert any(a.endswith(f"{CONTAINER_ENGINE}=podman") for a in nb.command)
    assert home_and_cwd("podman", nb.command)[0] == {HOME}


def test_notebooks_and_jobs_get_the_spawners_executable_and_node_helpers():
    """What the old keep-in-step test in test_jobspec.py checked, now of the one recipe."""
    from funicular.spawner import FunicularSpawner

    spawner = FunicularSpawner(container_runtime_path="/opt/ch/bin/ch-run",
                               node_helpers_dir="/apps/funicular/libexec")
    s = JobSite(images={"notebook": SiteImage("/apps/sim"),
                        "pod": SiteImage("localhost/sim", runtime="podman")},
                host_home="/users/alice",
                runtime_options={e: spawner.engine_options(e) for e in available_runtimes()})
    ch = ("/apps/funicular/libexec/ch-run-job.sh", "/opt/ch/bin/ch-run")
    pod = ("/apps/funicular/libexec/podman-job.sh", "podman")
    assert notebook(s).command[:2] == follow_on(s).command[:2] == ch
    assert notebook(s, image="pod").command[:2] == follow_on(s, image="pod").command[:2] == pod


def test_server_paths_and_names():
    assert PATHS.env == ".funicular/servers/default/env"
    named = ServerPaths("/.funicular/servers/", "gpu")
    assert named.ssl == ".funicular/servers/named-gpu/ssl"
    assert named.log("41") == ".funicular/servers/named-gpu/slurm-41.log"
    odd = server_key("../x y")
    assert odd.startswith("named-") and "/" not in odd and " " not in odd
    assert job_name("funicular", "gpu") == "funicular-named-gpu"
    assert marker("funicular", USER, "gpu", "n1") == f"funicular funicular {USER}/gpu n1"


def test_server_env_passes_the_hubs_variables_and_the_admins_only():
    s = site("podman")
    env = server_env({"JUPYTERHUB_API_TOKEN": "t", "JPY_API_TOKEN": "t", "PATH": "/x",
                      "SITE_LICENSE": "lic", "HOME": "/root"},
                     admin_keys={"SITE_LICENSE"}, site=s, material_dir="hpc101", store=None,
                     walltime_warning=0)
    assert set(env) == {"JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "SITE_LICENSE", JOB_SITE,
                        MATERIAL_DIR}
    assert JobSite.from_json(env[JOB_SITE]) == s and env[MATERIAL_DIR] == "hpc101"
    assert json.loads(env[JOB_SITE])["host_home"] == HOME
    with_warning = server_env({}, admin_keys=set(), site=s, material_dir=None, store=None,
                              walltime_warning=300)
    assert with_warning[WALLTIME_WARNING] == "300" and MATERIAL_DIR not in with_warning


def test_store_credentials_go_in_under_the_names_common_tools_read():
    """FUNICULAR_STORE_* for Funicular, and AWS_* / ST_* for boto3, s3fs, pandas and
    the aws and swift command lines; an admin's own value of such a name wins."""
    from funicular.core import envfile
    from funicular.core.storage import StoreCredentials

    creds = StoreCredentials(swift_auth_url="http://swift:8080/auth/v1.0", swift_user="a:a",
                             swift_key="sk", s3_endpoint="http://s3:8080",
                             s3_access_key="a:a", s3_secret_key="s3k", s3_region="eu-1")
    env = server_env({"AWS_DEFAULT_REGION": "admin-region"},
                     admin_keys={"AWS_DEFAULT_REGION"}, site=site("podman"),
                     material_dir=None, store=creds, walltime_warning=0)
    assert env["AWS_ACCESS_KEY_ID"] == "a:a" and env["AWS_SECRET_ACCESS_KEY"] == "s3k"
    assert env["AWS_ENDPOINT_URL"] == "http://s3:8080"
    assert env["AWS_DEFAULT_REGION"] == "admin-region"
    assert (env["ST_AUTH"], env["ST_USER"], env["ST_KEY"]) == (
        "http://swift:8080/auth/v1.0", "a:a", "sk")
    assert env["FUNICULAR_STORE_S3_SECRET_KEY"] == "s3k"
    assert envfile.parse(envfile.render(env)) == env  # they travel in the 0600 env file
    swift_only = StoreCredentials(swift_auth_url="http://swift:8080/auth/v1.0",
                                  swift_user="a:a", swift_key="sk")
    assert not any(k.startswith("AWS_") for k in swift_only.standard_env())
