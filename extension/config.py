"""What an admin may set for the server side, in ``jupyter_server_config`` (or
``jupyter_funicular_config``) and on the command line: ``c.FunicularJobs.*`` and
``c.FunicularTransfers.*``. The app lists both in its ``classes``, so
``jupyter funicular --help-all`` documents them. Only traitlets here: the help must
load where a service's own dependencies do not.
"""

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Configurable

from funicular.core.storage.transfer import CONCURRENCY, PART_SIZE


class FunicularJobs(Configurable):
    """The user's follow-on jobs: how often the scheduler is asked, where the
    records are kept and which backend submits."""

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
        "", help="""Backend to submit through (rest, cli, unicore); empty: the one the hub
        chose (its jobs_backend).""",
    ).tag(config=True)


class FunicularTransfers(Configurable):
    """Data transfers between the home and the user's object stores."""

    part_size_mb = Integer(
        PART_SIZE // 2**20, help="""Part size in MiB of multi-part transfers: each part is
        read, MD5-summed, sent and journalled on its own (resuming redoes at most the
        parts in flight).""",
    ).tag(config=True)
    concurrency = Integer(
        CONCURRENCY, help="Parts of one transfer moved at once (memory: this many parts).",
    ).tag(config=True)
    max_running = Integer(
        2, help="Transfers that run at once; more wait, queued.",
    ).tag(config=True)
    fsync = Bool(
        True, help="""Flush a downloaded file to disk before it appears under its name, so
        that not even a crash of the node shows a file that is not all there (costs
        about a fifth of download speed on a local disk).""",
    ).tag(config=True)
    journal_path = Unicode(
        "", help="""Folder of transfer records (0700); empty: funicular/transfers in the
        user's Jupyter data directory, shared with the ``funicular transfer`` CLI.""",
    ).tag(config=True)
