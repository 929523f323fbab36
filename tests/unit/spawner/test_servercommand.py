"""``Spawner.cmd`` in the notebook job: the argv the hub builds (spawner/notebookjob.py)
and what ``funicular-singleuser`` in the container makes of it (core/singleuser.py),
side by side, so the two ends of the agreement are tested against each other."""

import os
import re
import subprocess
import sys

import pytest

from funicular.core import singleuser
from funicular.core.batchjob import Resources
from funicular.core.errors import SpecError
from funicular.spawner import FunicularSpawner
from funicular.spawner.notebookjob import DEFAULT_CMD, ServerPaths, notebook_job, server_command
from tests.unit.core.jobs.test_launch import USER, site

HEAD = ["funicular-singleuser", "--env-file=E", "--report-timeout=60"]


def built(cmd, args=()):
    return list(server_command(cmd, list(args), env_file="E", report_timeout=60))


def read(argv):
    """What funicular-singleuser runs for ``argv``: (exec'd?, the words)."""
    assert argv[0] == "funicular-singleuser"
    ns, words = singleuser.parse_args(argv[1:])
    return ns.exec_command, words


def test_jupyterhubs_default_cmd_gives_the_argv_funicular_always_built():
    assert built(list(DEFAULT_CMD), ["--debug"]) == [*HEAD, "--", "--debug"]
    assert read(built(DEFAULT_CMD, ["--debug"])) == (False, ["--debug"])
    assert read(built(DEFAULT_CMD)) == (False, [])


def test_jupyterhub_singleuser_with_arguments_still_runs_on_the_reported_socket():
    cmd = ["jupyterhub-singleuser", "--SingleUserNotebookApp.default_url=/lab"]
    argv = built(cmd, ["--debug"])
    assert argv == [*HEAD, "--", "--SingleUserNotebookApp.default_url=/lab", "--debug"]
    assert read(argv) == (False, ["--SingleUserNotebookApp.default_url=/lab", "--debug"])


@pytest.mark.parametrize("cmd", [
    ["/opt/conda/envs/py312/bin/jupyterhub-singleuser"],
    ["jupyter-labhub"],
    ["/apps/bin/with-modules", "--", "jupyterhub-singleuser", "--"],  # its own "--"s stay
    "jupyter labhub",  # JupyterHub takes a string: one word, never split by a shell
])
def test_any_other_command_is_execd_with_get_args_appended(cmd):
    words = [cmd] if isinstance(cmd, str) else cmd
    argv = built(cmd, ["--debug", "--", "x"])
    assert argv == [*HEAD, "--exec", "--", *words, "--debug", "--", "x"]
    assert read(argv) == (True, [*words, "--debug", "--", "x"])


@pytest.mark.parametrize(("cmd", "args", "message"), [
    ([], [], "cmd: must name a command"),
    (None, [], "cmd: must name a command"),
    ([""], [], "cmd: must name a command"),
    ([3], [], "cmd: must name a command"),
    (["jupyterhub-singleuser", "a\nb"], [], "cmd: 'a\\nb' holds a control character"),
    (["wrap\x00"], [], "cmd: 'wrap\\x00' holds a control character"),
    (["wrap"], "--debug", "args: must be a list of words"),
    (["wrap"], ["--x=\u2028"], "args: '--x=\\u2028' holds a control character"),
])
def test_a_command_that_cannot_travel_as_argv_is_refused(cmd, args, message):
    with pytest.raises(SpecError) as e:
        server_command(cmd, args, env_file="E", report_timeout=60)
    assert message in str(e.value)


def test_the_hub_checks_cmd_when_it_starts():
    FunicularSpawner(cmd=["/opt/env/bin/jupyterhub-singleuser"]).check_config()
    with pytest.raises(SpecError, match="cmd: must name a command"):
        FunicularSpawner(cmd=[""]).check_config()  # ([] traitlets refuses itself)
    with pytest.raises(SpecError, match=re.escape(r"args: '--a=\x1b' holds a control")):
        FunicularSpawner(args=["--a=\x1b"]).check_config()


@pytest.mark.parametrize("engine", ["charliecloud", "podman", "apptainer"])
def test_the_job_runs_the_wrapper_then_the_command_inside_the_engine(engine):
    job = notebook_job(site(engine), image="notebook", engine=None,
                       resources=Resources(partition="mc"), user=USER,
                       paths=ServerPaths(".funicular/servers", ""), args=("--debug",),
                       name="funicular-default", comment="c", report_timeout=600,
                       walltime_warning=0, cmd=("/opt/env/bin/jupyterhub-singleuser",))
    argv = list(job.command)
    assert argv[argv.index("funicular-singleuser"):] == [
        "funicular-singleuser", "--env-file=.funicular/servers/default/env",
        "--report-timeout=600", "--exec", "--", "/opt/env/bin/jupyterhub-singleuser",
        "--debug"]


def test_exec_needs_a_command():
    with pytest.raises(SystemExit):
        singleuser.parse_args(["--env-file=E", "--exec", "--"])


def test_the_command_replaces_the_wrapper_with_its_environment_and_the_port_is_let_go():
    """exec_server for real, in a child Python: the command gets its argv as given and
    the wrapper's environment; the reported socket is closed first, so the server can
    bind the reported port itself."""
    probe = ("import os, socket, sys; s = socket.socket(); "
             "s.bind(('127.0.0.1', int(os.environ['PORT']))); "
             "print(sys.argv[1:], os.environ['JUPYTERHUB_SERVICE_URL'])")
    code = ("import os, socket, sys\n"
            "from funicular.core import singleuser\n"
            "s = singleuser.listening_socket('127.0.0.1')\n"
            "port = s.getsockname()[1]\n"
            "os.environ['PORT'] = str(port)\n"
            "os.environ['JUPYTERHUB_SERVICE_URL'] = f'http://127.0.0.1:{port}/user/a/'\n"
            f"singleuser.exec_server(s, [sys.executable, '-c', {probe!r}, '--', 'a b'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**os.environ})
    assert out.returncode == 0, out.stderr
    argv, url = out.stdout.rsplit(" ", 1)
    assert argv == "['--', 'a b']" and url.startswith("http://127.0.0.1:")
    assert "[funicular-singleuser] running" in out.stderr


def test_a_command_that_is_not_there_ends_the_job_with_why():
    code = ("from funicular.core import singleuser\n"
            "s = singleuser.listening_socket('127.0.0.1')\n"
            "singleuser.exec_server(s, ['/nonexistent/jupyterhub-singleuser'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 127
    assert "cannot run /nonexistent/jupyterhub-singleuser" in out.stderr


def test_main_execs_after_the_report(tmp_path, monkeypatch):
    """The report comes first; then the command, not the in-process server."""
    env_path = tmp_path / "env"
    env_path.write_text("JUPYTERHUB_API_URL=http://127.0.0.1:9/hub/api\n"
                        "JUPYTERHUB_API_TOKEN=t\nJUPYTERHUB_SERVICE_PREFIX=/user/a/\n")
    reported, ran = [], []
    monkeypatch.setattr(singleuser.os, "environ", dict(singleuser.os.environ))
    monkeypatch.setattr(singleuser, "node_address", lambda _: "127.0.0.1")
    monkeypatch.setattr(singleuser, "report",
                        lambda hub, host, port: reported.append(port) or (200, {}))
    monkeypatch.setattr(singleuser.signal, "signal", lambda *a: None)
    monkeypatch.setattr(singleuser, "run_server", lambda *a: ran.append("in-process"))
    monkeypatch.setattr(singleuser, "exec_server",
                        lambda sock, words: ran.append((sock, words)))
    singleuser.main(["--env-file", str(env_path), "--exec", "--", "wrap", "--", "x"])
    (sock, words), = ran  # not "in-process"
    port = sock.getsockname()[1]
    assert words == ["wrap", "--", "x"] and reported == [port]
    assert singleuser.os.environ["JUPYTERHUB_SERVICE_URL"] == \
        f"http://127.0.0.1:{port}/user/a/"
    sock.close()


def test_a_command_exec_d_after_the_report_needs_the_listener_proof():
    """Between the report and the exec'd server's bind the port is free: without the
    listener proof another user's process there would be routed the user's browser."""
    assert built(["jupyterhub-singleuser"]) == [*HEAD, "--"]  # keeps its socket: fine
    assert list(server_command(["jupyterhub-singleuser"], [], env_file="E", report_timeout=60,
                               proof=False)) == [*HEAD, "--"]
    with pytest.raises(SpecError, match="verify_listener") as refused:
        server_command(["/opt/conda/bin/jupyterhub-singleuser"], [], env_file="E",
                       report_timeout=60, proof=False)
    assert refused.value.field == "cmd"


def test_the_hub_refuses_an_exec_d_command_without_the_proof_and_a_profile_cannot_drop_it():
    from funicular.spawner import startup

    from .test_startup import App

    with pytest.raises(SystemExit, match="verify_listener"):
        startup.at_start(App(cmd=["jupyter-labhub"], verify_listener=False))
    with pytest.raises(SystemExit, match="verify_listener.*cannot be set per profile"):
        startup.at_start(App(profile_list=[{"display_name": "a", "funicular_override": {
            "cmd": ["jupyter-labhub"], "verify_listener": False}}]))
