"""Follow-on jobs owned by the notebook server: service, store, backends, REST API.

The hub hands the site over in ``hubapi.JOB_SITE`` (see funicular.core.jobs.site);
without it the API answers 503 and says why.
"""

import logging
import os
import pwd

from jupyter_core.paths import jupyter_data_dir

from funicular.core.errors import SpecError
from funicular.core.hubapi import JOB_SITE
from funicular.core.jobs import JobSite
from funicular.core.storage import StoreCredentials

from ..api import JOBS_SETTING
from ..config import FunicularJobs
from .backends import get_backend
from .service import JobService
from .store import JobStore

log = logging.getLogger("funicular.jobs")


def _user() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ["USER"]


def start(cfg: FunicularJobs, settings: dict, io_loop, server_log: logging.Logger
          ) -> JobService | None:
    """The job service in ``settings`` (started on ``io_loop``), or the reason there is
    none: a server the hub handed no site to, a site or backend that cannot be used."""
    raw = os.environ.get(JOB_SITE)
    if not raw:
        settings[JOBS_SETTING + "_error"] = "the hub handed no job site to this server"
        return None
    try:
        site = JobSite.from_json(raw)
        backend = get_backend(cfg.backend or site.backend, site, _user(), dict(os.environ))
    except (ValueError, SpecError, KeyError, TypeError, ImportError) as e:
        settings[JOBS_SETTING + "_error"] = f"jobs are not available: {e}"
        log.error("funicular jobs: %s", e)
        return None
    path = cfg.store_path or os.path.join(jupyter_data_dir(), "funicular", "jobs.sqlite")
    service = JobService(JobStore(path), backend, site, user=_user(),
                         home=os.path.expanduser("~"), poll_interval=cfg.poll_interval,
                         idle_interval=cfg.idle_poll_interval,
                         store_env=StoreCredentials.from_env(dict(os.environ)).to_env())
    settings[JOBS_SETTING] = service
    # the service's news in the server's own log
    log.setLevel(logging.INFO)
    for handler in server_log.handlers:
        log.addHandler(handler)
    log.propagate = False
    io_loop.add_callback(service.start)
    return service
