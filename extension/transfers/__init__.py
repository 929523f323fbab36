"""Data transfers and object-storage browsing owned by the notebook server.

The hub hands the user's store credentials over in ``FUNICULAR_STORE_*`` (see
funicular.core.storage.credentials); without any, the API answers 503 and says why.
"""

import logging
import os

from traitlets import Bool, Integer, Unicode
from traitlets.config import Configurable

from funicular.core.storage import Journal, StoreCredentials
from funicular.core.storage.journal import default_path
from funicular.core.storage.transfer import CONCURRENCY, PART_SIZE

from .handlers import setup_handlers
from .service import TransferService

log = logging.getLogger("funicular.transfers")


class FunicularTransfers(Configurable):
    """The notebook server's transfers (``c.FunicularTransfers.*``)."""

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


def setup(serverapp) -> TransferService | None:
    setup_handlers(serverapp.web_app)
    settings = serverapp.web_app.settings
    creds = StoreCredentials.from_env(dict(os.environ))
    if not (creds.has("swift") or creds.has("s3")):
        settings["funicular_transfers_error"] = ("the hub handed no object-store credentials "
                                                 "to this server")
        return None
    cfg = FunicularTransfers(config=serverapp.config)
    service = TransferService(Journal(cfg.journal_path or default_path()), creds,
                              part_size=cfg.part_size_mb * 2**20,
                              concurrency=cfg.concurrency, max_running=cfg.max_running,
                              durable=cfg.fsync)
    settings["funicular_transfers"] = service
    serverapp.io_loop.add_callback(service.start)
    log.info("funicular transfers: stores %s", ", ".join(service.schemes()))
    return service
