"""The notebook server's batch job: ``funicular-singleuser`` in the chosen image,
running the admin's ``Spawner.cmd``, launched by the same recipe as every follow-on
job (funicular.core.jobs.launch), so the notebook gets the home, working directory and
paths its jobs get."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from funicular.core import hubapi
from funicular.core.batchjob import BatchJob, Resources
from funicular.core.errors import SpecError
from funicular.core.hubapi import CONTAINER_ENGINE
from funicular.core.jobs import JobSite, launch
from funicular.core.storage import StoreCredentials

from . import submission


def server_key(server_name: str) -> str:
    """A file-name-safe key for one of a user's servers."""
    if not server_name:
        return "default"
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", server_name):
        return f"named-{server_name}"
    return "named-" + hashlib.sha256(server_name.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ServerPaths:
    """Where one server's private files live, relative to the home (the same path
    inside the container as on the hub's side of the home)."""

    state_dir: str  # the spawner's state_dir
    server_name: str

    @property
    def rel_dir(self) -> str:
        return f"{self.state_dir.strip('/')}/{server_key(self.server_name)}"

    @property
    def env(self) -> str:
        return f"{self.rel_dir}/env"

    @property
    def ssl(self) -> str:
        return f"{self.rel_dir}/ssl"

    def log(self, job_id: str) -> str:
        return f"{self.rel_dir}/slurm-{job_id}.log"


def job_name(prefix: str, server_name: str) -> str:
    return f"{prefix}-{server_key(server_name)}"


def marker(prefix: str, user: str, server_name: str, nonce: str | None = None) -> str:
    """The hub's marker in the job's comment (what the orphan sweep looks for), and a
    submission's nonce."""
    text = f"funicular {prefix} {user}/{server_name}"
    return submission.tagged(text, nonce) if nonce else text


def home_inside(site: JobSite, image: str, engine: str | None, user: str) -> str:
    """The user's home as the notebook's container sees it."""
    img = launch.site_image(site, image)
    return launch.home_inside(launch.runtime_for(site, img, engine), img, site, user)


# JupyterHub's default Spawner.cmd, and the one command funicular-singleuser can run in
# its own process, on the socket it reported
SINGLEUSER = "jupyterhub-singleuser"
DEFAULT_CMD = (SINGLEUSER,)


def _words(field: str, words: object, *, command: bool) -> tuple[str, ...]:
    """An argv list as it may travel: text without control characters or line
    separators (slurmrestd carries each word in the job's environment)."""
    if command and words is None:
        words = []
    if isinstance(words, str) or not isinstance(words, list | tuple):
        raise SpecError(field, f"must be a list of words (argv, never a shell string), "
                        f"got {words!r}")
    if command and (not words or not isinstance(words[0], str) or not words[0]):
        raise SpecError(field, "must name a command: e.g. ['jupyterhub-singleuser']")
    for word in words:
        if not isinstance(word, str):
            raise SpecError(field, f"{word!r} is not text")
        if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in word):
            raise SpecError(field, f"{word!r} holds a control character or line separator")
    return tuple(words)


def server_command(cmd: object, args: object, *, env_file: str,
                   report_timeout: int, proof: bool = True) -> tuple[str, ...]:
    """What the container runs: Funicular's wrapper around the admin's ``Spawner.cmd``
    with ``get_args()`` appended, as JupyterHub's own spawners run ``cmd + args``.

    ``funicular-singleuser`` always comes first: it binds a free port on the node,
    reports host and port to the hub, reads the server's secrets from its env file and
    only then starts the server (core/singleuser.py). How it starts it depends on cmd:

    - ``jupyterhub-singleuser`` as cmd[0] (JupyterHub's default): in its own process,
      on the very socket it reported, so the port is never free for another user to
      take; cmd[1:] and args are that server's arguments:
      ``funicular-singleuser --env-file=E --report-timeout=T -- CMD[1:]... ARGS...``
      (with the default cmd, the argv Funicular has always built);
    - any other command (a path, a wrapper script that loads modules, jupyter-labhub):
      exec'd in its place, cmd then args, with JUPYTERHUB_SERVICE_URL naming the
      reported address, which jupyterhub-singleuser binds itself:
      ``funicular-singleuser --env-file=E --report-timeout=T --exec -- CMD... ARGS...``.
      The port is free from the exec until the server binds it; the hub's listener
      proof (verify_listener, ``proof``) refuses any other process that takes it
      meanwhile, so without the proof such a command is refused (SpecError): another
      user on the node could take the port and be routed the user's browser.

    Argv lists only: a string cmd (JupyterHub allows one) is one word, never split
    by a shell."""
    cmd_words = _words("cmd", [cmd] if isinstance(cmd, str) else cmd, command=True)
    arg_words = _words("args", args, command=False)
    head = ("funicular-singleuser", f"--env-file={env_file}",
            f"--report-timeout={report_timeout}")
    if cmd_words[0] == SINGLEUSER:
        return (*head, "--", *cmd_words[1:], *arg_words)
    if not proof:
        raise SpecError("cmd", f"{cmd_words[0]!r} is exec'd after the port is reported, "
                        "and another process could take the port meanwhile: it needs "
                        "verify_listener on (or cmd starting with jupyterhub-singleuser)")
    return (*head, "--exec", "--", *cmd_words, *arg_words)


def notebook_job(site: JobSite, *, image: str, engine: str | None, resources: Resources,
                 user: str, paths: ServerPaths, args: tuple[str, ...], name: str,
                 comment: str, report_timeout: int, walltime_warning: int,
                 extra_sbatch: tuple[str, ...] = (),
                 cmd: tuple[str, ...] = DEFAULT_CMD, proof: bool = True) -> BatchJob:
    """``cmd``: the spawner's ``Spawner.cmd``; ``args``: its ``get_args()`` (see
    ``server_command`` for how they combine with Funicular's wrapper)."""
    img = launch.site_image(site, image)
    job = launch.containerised(
        site, img, server_command(cmd, args, env_file=paths.env,
                                  report_timeout=report_timeout, proof=proof),
        user=user, engine=engine, gpus=resources.gpus > 0,
        env=((CONTAINER_ENGINE, engine or img.runtime or site.runtime),))
    home = site.host_home.rstrip("/")
    return BatchJob(
        name=name, resources=resources, command=tuple(job.argv), workdir=home,
        output=f"{home}/{paths.log('%j')}",  # Slurm fills in the job id
        comment=comment,
        warn_signal=f"USR1@{walltime_warning}" if walltime_warning else None,
        extra=tuple(extra_sbatch))


# environment that the hub hands to the server: JupyterHub's own variables and the
# admin's Spawner.environment; nothing else of the hub's process environment
_HUB_PREFIXES = ("JUPYTERHUB_", "JPY_", "JUPYTER_")


def server_env(env: dict, *, admin_keys: set[str], site: JobSite, material_dir: str | None,
               store: StoreCredentials | None, walltime_warning: int) -> dict[str, str]:
    """What goes into the server's 0600 env file (never argv, never the batch script).
    ``walltime_warning``: seconds, for a server Slurm cannot signal; 0: none."""
    out = {k: str(v) for k, v in env.items() if k.startswith(_HUB_PREFIXES) or k in admin_keys}
    out[hubapi.JOB_SITE] = site.to_json()
    if material_dir:
        out[hubapi.MATERIAL_DIR] = material_dir  # for the notebook's reset
    if store is not None:
        out.update(store.to_env())
        # the standard names too, so pandas, s3fs, xarray and the aws and swift command
        # lines find them; an admin's Spawner.environment of the same name wins
        out.update({k: v for k, v in store.standard_env().items() if k not in admin_keys})
    if walltime_warning:
        out[hubapi.WALLTIME_WARNING] = str(walltime_warning)
    return out
