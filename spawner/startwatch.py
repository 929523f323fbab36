"""From a queued job to a server the hub may route to: progress, the start watch,
and the checks before routing.

The job reports its address itself (the hub's address handler resolves the future);
meanwhile the watch asks the shared status cache how the job fares, for the progress
page, and gives up when the job ends or waits too long in the queue. Then the hub
waits until the server accepts connections and proves it holds the server's token.
"""

import asyncio
import ssl
from collections.abc import Awaitable, Callable

from funicular.core.errors import SlurmError
from funicular.core.slurm import JobStatusCache

from . import listenercheck
from .pending import pending_message


class Progress:
    """The events of one start, for JupyterHub's progress page."""

    def __init__(self):
        self.events: list[dict] = []
        self.starting = False
        self._changed = asyncio.Event()

    def reset(self) -> None:
        self.events = []

    def emit(self, progress: int, message: str) -> None:
        self.events.append({"progress": progress, "message": message})
        self._changed.set()

    def done(self) -> None:
        self.starting = False
        self._changed.set()

    def announce_node(self, node: str | None) -> None:
        """Once per start: the job runs; whichever notices first (status or report)."""
        if not any(e["message"].startswith("Running on ") for e in self.events):
            self.emit(50, f"Running on {node}; starting the container")

    async def stream(self):
        sent = 0
        while True:
            while sent < len(self.events):
                yield self.events[sent]
                sent += 1
            if not self.starting:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), 1)
            except TimeoutError:
                pass


class QueueTimeout(Exception):
    """The job waited in the queue longer than the site allows; it was cancelled."""


async def watch_start(address: asyncio.Future, status: JobStatusCache, job_id: str, *,
                      interval: float, max_queue_time: float, progress: Progress,
                      cancel: Callable[[], Awaitable[None]], log_path: str,
                      warn: Callable[[str], None]) -> tuple[str, int]:
    """Wait for the reported (host, port); RuntimeError if the job ends first,
    QueueTimeout (after ``cancel()``) if it waits longer than ``max_queue_time``."""
    last = None
    loop = asyncio.get_running_loop()
    queued_since = loop.time()
    with status.hurry():
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(address), interval)
            except TimeoutError:
                pass
            try:
                info = await status.get(job_id, max_age=interval)
            except SlurmError as e:
                warn(f"cannot ask Slurm ({e}); still waiting")
                continue
            if info is None or not info.active:
                state = info.state if info else "gone"
                reason = f" ({info.reason})" if info and info.reason else ""
                raise RuntimeError(f"Slurm job {job_id} ended before the server started: "
                                   f"{state}{reason}. Log: {log_path}")
            if info.waiting and max_queue_time and loop.time() - queued_since > max_queue_time:
                await cancel()
                raise QueueTimeout(
                    f"Your job {job_id} waited in the queue for more than "
                    f"{max_queue_time:.0f} s ({info.reason or info.state}) and was "
                    "cancelled. Try a smaller profile, or try again later.")
            now = (info.state, info.reason, info.batch_host, info.start_time)
            if now != last:
                last = now
                if info.waiting:
                    progress.emit(20, pending_message(info))
                elif info.running:
                    progress.announce_node(info.batch_host)


async def wait_listening(host: str, port: int, listening: asyncio.Event,
                         timeout: float) -> None:
    """Return as soon as the server accepts connections: the hub then finds it up at
    its first check instead of after a back-off delay. The server says so itself
    (its Funicular extension: the listening report); knocking on the port, less and
    less often, covers images without the extension. (Knocking 20 times a second
    cost the hub 5 CPU seconds while 50 servers started.)"""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.05
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 1)
            writer.close()
            return
        except (OSError, TimeoutError):
            pass
        try:
            await asyncio.wait_for(listening.wait(), delay)
            return
        except TimeoutError:
            delay = min(delay * 1.5, 1.0)


async def verify_listener(url: str, token: str, timeout: float,
                          ssl_context: ssl.SSLContext | None) -> None:
    """Route only to the process that proves it holds this server's token."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ok, why = await listenercheck.verify(url, token, max(1.0, deadline - loop.time()),
                                             ssl_context)
        if ok:
            return
        if why.startswith("HTTP ") or loop.time() >= deadline:
            raise RuntimeError(f"the process listening on {url} is not this server "
                               f"({why}); nothing is routed to it")
        await asyncio.sleep(0.2)


async def check_report(status: JobStatusCache, job_id: str, host: str, interval: float):
    """Whether a report of ``host`` may be the server of ``job_id``: the job runs, on
    that node. (HTTP status, text, the job's JobInfo)."""
    try:
        info = await status.get(job_id, max_age=interval)
        if info is None or not info.running:  # it reports only once it runs: look again
            info = await status.get(job_id, max_age=0)
    except SlurmError:
        return 503, "cannot ask Slurm right now", None
    if info is None or not info.running or not info.batch_host:
        return 409, f"job {job_id} is not running", info
    loop = asyncio.get_running_loop()
    try:
        addrs = {a[4][0] for a in await loop.getaddrinfo(info.batch_host, None)}
    except OSError:
        addrs = set()
    if host != info.batch_host and host not in addrs:
        return 403, f"{host} is not the node of job {job_id} ({info.batch_host})", info
    return 200, "ok", info


async def wait_gone(status: JobStatusCache, job_ids: list[str], timeout: float) -> None:
    """After scancel: until Slurm lists none of the jobs active (or ``timeout``), so a
    new start finds the allocation released; then they are no longer watched."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while job_ids and loop.time() < deadline:
        try:
            infos = [await status.get(j, max_age=0.05) for j in job_ids]
        except (SlurmError, TimeoutError):
            infos = [None]
        if not any(info is not None and info.active for info in infos):
            break
        await asyncio.sleep(0.05)
    for job_id in job_ids:
        status.unwatch(job_id)
