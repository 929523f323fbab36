"""core.proc: a timeout ends the command and everything it started, also as another user."""

import asyncio
import os
import pathlib
import secrets
import time

import pytest

from funicular.core import proc


def _alive(marker: str) -> list[int]:
    """Pids whose command line carries ``marker``."""
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and int(entry.name) != os.getpid():
            pids.append(int(entry.name))
    return pids


async def _gone(marker: str, seconds: float = 3) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return not _alive(marker)


async def test_timeout_ends_children_that_hold_the_pipes():
    marker = f"funicular-test-{secrets.token_hex(4)}"
    # the shell leaves a child holding stdout and stderr, and ignores TERM itself
    script = f"trap '' TERM; sleep 60 {marker} & sleep 60; : {marker}"
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(proc.run(["bash", "-c", script], timeout=0.5, grace=0.5), 10)
    assert time.monotonic() - started < 5
    assert await _gone(marker), "a child of the timed-out command is still running"


@pytest.mark.skipif(os.geteuid() != 0, reason="runuser needs root (CI runs as root)")
async def test_timeout_ends_a_command_run_as_another_user():
    """runuser (like sudo) forks the user's command; killing runuser alone left the
    command running with our pipes, and the caller waiting on them."""
    marker = f"funicular-test-{secrets.token_hex(4)}"
    argv = ["runuser", "-u", "nobody", "--", "bash", "-c", f"sleep 60; : {marker}"]
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(proc.run(argv, timeout=0.5, grace=0.5), 10)
    assert time.monotonic() - started < 5
    assert await _gone(marker), "the user's command outlived the timeout"


async def test_cancelled_call_ends_the_command():
    marker = f"funicular-test-{secrets.token_hex(4)}"
    task = asyncio.ensure_future(proc.run(["bash", "-c", f"sleep 60; : {marker}"], timeout=30))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _gone(marker)


async def test_output_and_status_of_a_command_that_ends():
    res = await proc.run(["bash", "-c", "cat; echo err >&2; exit 3"], stdin=b"in")
    assert (res.returncode, res.stdout, res.stderr) == (3, "in", "err\n")
