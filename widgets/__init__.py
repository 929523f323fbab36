"""The kernel side of Funicular: a small client for the server extension and widgets.

``funicular.widgets.jobs`` submits and follows batch jobs from a notebook
(``jobs.submit(...)`` returns a ``Job``); ``JobLauncher`` and ``JobMonitor`` are the
ipywidgets on top; ``info()`` says where this notebook's server runs.
"""

from . import jobs
from .client import info, remaining

__all__ = ["JobLauncher", "JobMonitor", "info", "jobs", "remaining"]


def __getattr__(name):  # the widgets need ipywidgets; the client does not
    if name == "JobLauncher":
        from .launcher import JobLauncher
        return JobLauncher
    if name == "JobMonitor":
        from .monitor import JobMonitor
        return JobMonitor
    raise AttributeError(name)
