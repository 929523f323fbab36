"""Data transfers and object-storage browsing owned by the notebook server.

The hub hands the user's store credentials over in variables named
``hubapi.STORE_PREFIX`` + ... (see funicular.core.storage.credentials); without any,
the API answers 503 and says why.
"""

import logging
import os

from funicular.core.storage import Journal, StoreCredentials
from funicular.core.storage.journal import default_path

from ..api import TRANSFERS_SETTING
from ..config import FunicularTransfers
from .service import TransferService

log = logging.getLogger("funicular.transfers")


def start(cfg: FunicularTransfers, settings: dict, io_loop) -> TransferService | None:
    """The transfer service in ``settings`` (started on ``io_loop``), or the reason
    there is none: the hub handed no store credentials."""
    creds = StoreCredentials.from_env(dict(os.environ))
    if not (creds.has("swift") or creds.has("s3")):
        settings[TRANSFERS_SETTING + "_error"] = ("the hub handed no object-store "
                                                  "credentials to this server")
        return None
    service = TransferService(Journal(cfg.journal_path or default_path()), creds,
                              part_size=cfg.part_size_mb * 2**20,
                              concurrency=cfg.concurrency, max_running=cfg.max_running,
                              durable=cfg.fsync)
    settings[TRANSFERS_SETTING] = service
    io_loop.add_callback(service.start)
    log.info("funicular transfers: stores %s", ", ".join(service.schemes()))
    return service
