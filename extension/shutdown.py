"""Exit at once when Slurm ends the job.

``scancel`` and the time limit send SIGTERM to every process of the job at the same
time, kernels included, and Slurm kills whatever is left after ``KillWait``. A
graceful server shutdown (asking each kernel to stop, closing terminals) therefore
saves nothing, but it keeps the job in COMPLETING about a second longer, and with it
the allocation. Nothing is lost by exiting: notebooks are saved by the browser, not
at shutdown. Only under Slurm; elsewhere the server keeps Jupyter's own handler.
"""

import logging
import os
import signal
import sys

log = logging.getLogger("funicular.extension")


def _exit_now(signum, frame):
    log.warning("Slurm is ending this job (SIGTERM): the server exits now")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


def install() -> bool:
    if not os.environ.get("SLURM_JOB_ID"):
        return False
    signal.signal(signal.SIGTERM, _exit_now)
    return True
