"""The ways a notebook server submits follow-on jobs, by name (``JobSite.backend`` or
``c.FunicularJobs.backend``), imported only when chosen: a server that never uses
UNICORE needs no pyunicore, and no backend module imports another's."""

from funicular.core.jobs import JobSite
from funicular.core.registry import Known, Registry

from .base import JobBackend

_HERE = "funicular.extension.jobs.backends"
SERVER = "pip install 'funicular[server]'"

BACKENDS = Registry("jobs backend", {
    "cli": Known(f"{_HERE}.slurm_cli:SlurmCLIJobBackend"),
    "rest": Known(f"{_HERE}.slurm_rest:SlurmRESTJobBackend"),
    "unicore": Known(f"{_HERE}.unicore:UnicoreJobBackend", SERVER),
})


def get_backend(name: str, site: JobSite, user: str, env: dict[str, str]) -> JobBackend:
    """The backend ``name`` for ``user``; ValueError naming the known ones, ImportError
    saying what to install."""
    return BACKENDS.get(name)(site, user, env)
