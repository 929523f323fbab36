"""Follow-on jobs owned by the notebook server: service, store, backends, REST API.

The hub hands the site over in ``FUNICULAR_JOB_SITE`` (see funicular.core.jobs.site);
without it the API answers 503 and says why.
"""

import logging
import os
import pwd

from jupyter_core.paths import jupyter_data_dir
from traitlets import Float, Unicode
from traitlets.config import Configurable

from funicular.core.errors import SpecError
from funicular.core.jobs import JobSite
from funicular.core.storage import StoreCredentials

from .backends.base import get_backend
from .handlers import setup_handlers
from .service import JobService
from .store import JobStore

log = logging.getLogger("funicular.jobs")


class FunicularJobs(Configurable):
    """The notebook server's job service (``c.FunicularJobs.*`` in jupyter_server_config)."""

    poll_interval = Float(
        2.0, help="""Seconds between looks at the scheduler while any job is unfinished:
        one call for all of them (squeue, or one slurmrestd request).""",
    ).tag(config=True)
    idle_poll_interval = Float(
        60.0, help="Seconds between looks when every job has ended.",
    ).tag(config=True)
    store_path = Unicode(
        "", help="""SQLite file of the user's job records; empty: funicular/jobs.sqlite in
        the user's Jupyter data directory (in the home, so it outlives the server).""",
    ).tag(config=True)
    backend = Unicode(
        "", help="Backend to submit through (rest, cli); empty: the one the hub chose.",
    ).tag(config=True)


def _user() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ["USER"]


def setup(serverapp) -> JobService | None:
    setup_handlers(serverapp.web_app)
    raw = os.environ.get("FUNICULAR_JOB_SITE")
    settings = serverapp.web_app.settings
    if not raw:
        settings["funicular_jobs_error"] = "the hub handed no job site to this server"
        return None
    cfg = FunicularJobs(config=serverapp.config)
    try:
        site = JobSite.from_json(raw)
        backend = get_backend(cfg.backend or site.backend, site, _user(), dict(os.environ))
    except (ValueError, SpecError, KeyError, TypeError) as e:
        settings["funicular_jobs_error"] = f"jobs are not available: {e}"
        log.error("funicular jobs: %s", e)
        return None
    path = cfg.store_path or os.path.join(jupyter_data_dir(), "funicular", "jobs.sqlite")
    service = JobService(JobStore(path), backend, site, user=_user(),
                         home=os.path.expanduser("~"), poll_interval=cfg.poll_interval,
                         idle_interval=cfg.idle_poll_interval,
                         store_env=StoreCredentials.from_env(dict(os.environ)).to_env())
    settings["funicular_jobs"] = service
    # the service's news in the server's own log
    log.setLevel(logging.INFO)
    for handler in serverapp.log.handlers:
        log.addHandler(handler)
    log.propagate = False
    serverapp.io_loop.add_callback(service.start)
    return service
