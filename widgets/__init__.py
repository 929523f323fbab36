"""The kernel side of Funicular: a small client for the server extension and widgets.

``from funicular.widgets import jobs`` gives the HTTP client of the jobs API
(``jobs.submit(...)`` returns a ``Job``; jobs_client.py); ``JobLauncher`` and
``JobMonitor`` are the ipywidgets on top. ``storage`` is the client of the transfer API
(``put``, ``get``, ``ls``, ``copy``...; storage_client.py); ``StorageBrowser`` is its
widget.
``info()`` says where this notebook's server runs.
"""

from . import jobs_client as jobs
from . import storage_client as storage
from .client import info, remaining

__all__ = ["JobLauncher", "JobMonitor", "StorageBrowser", "info", "jobs", "remaining",
           "storage"]


def __getattr__(name):  # the widgets need ipywidgets; the client does not
    if name == "JobLauncher":
        from .launcher import JobLauncher
        return JobLauncher
    if name == "JobMonitor":
        from .monitor import JobMonitor
        return JobMonitor
    if name == "StorageBrowser":
        from .browser import StorageBrowser
        return StorageBrowser
    raise AttributeError(name)
