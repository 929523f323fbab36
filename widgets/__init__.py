"""The kernel side of Funicular: a small client for the server extension and widgets.

``funicular.widgets.jobs`` submits and follows batch jobs from a notebook
(``jobs.submit(...)`` returns a ``Job``); ``JobLauncher`` and ``JobMonitor`` are the
ipywidgets on top. ``funicular.widgets.storage`` moves data between the notebook and
object stores (``put``, ``get``, ``ls``, ``copy``...); ``StorageBrowser`` is its widget.
``info()`` says where this notebook's server runs.
"""

from . import jobs, storage
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
