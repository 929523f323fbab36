"""The extension turns Slurm's walltime warning into a record instead of a dead server."""

import os
import signal
import time

from funicular.core.hubapi import JOB_END_TIME
from funicular.extension import walltime


def test_usr1_is_recorded_not_fatal(monkeypatch):
    monkeypatch.setenv(JOB_END_TIME, str(int(time.time()) + 600))
    old = signal.getsignal(signal.SIGUSR1)
    try:
        walltime.install()
        os.kill(os.getpid(), signal.SIGUSR1)
        assert walltime.warned_at() is not None
        assert 590 <= walltime.remaining() <= 600
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_unknown_end(monkeypatch):
    monkeypatch.delenv(JOB_END_TIME, raising=False)
    assert walltime.end_time() is None and walltime.remaining() is None
