"""Where a workshop's course material is copied from at a participant's start.

A folder on the hub host is used as it is. Material in object storage is fetched by
the hub into ``material_cache_dir/<workshop>`` (funicular.core.storage.mirror) with the
store credentials of the workshop's ``material_owner``: once for a room of
participants (the starts of a burst wait for one fetch), again after
``material_refresh`` seconds, and if the store cannot be reached, the copy fetched
last is handed out.
"""

import asyncio
import logging
import math
import os
import time
from collections.abc import Callable

from funicular.core.storage import StoreCredentials
from funicular.core.storage.mirror import MANIFEST, mirror

from .credentials import StorageConfigError
from .workshops import Workshop

_locks: dict[str, asyncio.Lock] = {}
_fetched: dict[str, float] = {}  # workshop -> when its copy was last brought in step


async def material_source(workshop: Workshop, *, cache_dir: str, refresh: float,
                          credentials: Callable[[str], StoreCredentials | None],
                          log: logging.Logger) -> tuple[str, str]:
    """The folder to copy from, and a note for the participant ("" if none).
    ``credentials(user)``: a hub user's store credentials (the material owner's)."""
    loc = workshop.material_location
    if loc is None:
        return workshop.material, ""
    root = cache_dir
    target = os.path.join(root, workshop.name)
    lock = _locks.setdefault(workshop.name, asyncio.Lock())
    async with lock:
        if time.monotonic() - _fetched.get(workshop.name, -math.inf) < refresh:
            return target, ""
        try:
            creds = credentials(workshop.material_owner)
            if creds is None:
                raise StorageConfigError(f"no object-store credentials for "
                                         f"{workshop.material_owner}")
            os.makedirs(root, mode=0o755, exist_ok=True)
            os.chmod(root, 0o755)  # participants copy from it, as themselves
            report = await asyncio.to_thread(mirror, loc, target, creds)
        except (OSError, ValueError, RuntimeError) as e:
            if not os.path.exists(os.path.join(target, MANIFEST)):
                raise RuntimeError(f"{loc}: {e}") from e
            # the next try after material_refresh, not at every start: a room of starts
            # must not queue here behind a store that hangs
            _fetched[workshop.name] = time.monotonic()
            log.warning("funicular: %s: the store did not answer (%s); handing "
                                "out the copy fetched before", loc, e)
            return target, f"{loc} could not be read; the copy fetched before is used"
        _fetched[workshop.name] = time.monotonic()
        log.info("funicular: workshop %s material from %s: %d fetched, %d removed, "
                         "%d unchanged", workshop.name, loc, len(report.fetched),
                         len(report.removed), report.unchanged)
        return target, ""


def material_note(report: dict, folder: str) -> str:
    """The progress page's line for a sync report (funicular.core.coursematerial)."""
    return (f"Course material in ~/{folder}: {len(report['copied'])} new, "
            f"{len(report['updated'])} updated, {len(report['kept'])} of yours kept")
