"""The job's walltime, seen from the notebook server.

``hubapi.JOB_END_TIME`` (Unix time) comes from the hub when the server starts.
Slurm sends SIGUSR1 ``walltime_warning`` seconds before the end (sbatch
``--signal=B:USR1@N``); without a handler that signal would kill the server, so the
extension installs one that records and logs the warning instead.

slurmrestd 22.05 cannot ask for the batch-shell signal (``B:``), so with the REST
backend the hub sets ``hubapi.WALLTIME_WARNING`` (seconds) instead and the
extension raises the same warning from a timer, by the end time it was given.
"""

import logging
import os
import signal
import threading
import time

from funicular.core.hubapi import JOB_END_TIME, WALLTIME_WARNING

log = logging.getLogger("funicular.extension")
_warned_at: float | None = None


def end_time() -> float | None:
    try:
        return float(os.environ[JOB_END_TIME])
    except (KeyError, ValueError):
        return None


def remaining() -> float | None:
    end = end_time()
    return None if end is None else max(0.0, end - time.time())


def warned_at() -> float | None:
    return _warned_at


def _on_warning(signum, frame):
    global _warned_at
    _warned_at = time.time()
    left = remaining()
    log.warning("Slurm walltime warning: this server ends in %s. Save your work.",
                f"{left / 60:.0f} minutes" if left is not None else "a few minutes")


def install() -> threading.Timer | None:
    signal.signal(signal.SIGUSR1, _on_warning)
    try:
        ahead = float(os.environ[WALLTIME_WARNING])
    except (KeyError, ValueError):
        return None
    end = end_time()
    if end is None or ahead <= 0:
        return None
    timer = threading.Timer(max(0.0, end - ahead - time.time()), _on_warning, (None, None))
    timer.daemon = True
    timer.start()
    return timer
