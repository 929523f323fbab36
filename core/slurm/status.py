"""One Slurm status query for every job a process watches, however many callers ask.

A hub with 200 servers must not ask slurmctld 200 times per poll interval. Callers
``watch`` job ids and ``get`` a job's record no older than they can accept; the
cache refreshes all watched jobs in one query, on a jittered schedule of its own
and whenever a caller needs fresher data, coalescing concurrent refreshes into one.
"""

import asyncio
import logging
import random
import time

from ..errors import SlurmError
from .backend import SlurmBackend
from .jobinfo import JobInfo

log = logging.getLogger("funicular.slurm")


class JobStatusCache:
    """The jobs a process watches, refreshed with one ``SlurmBackend.query``."""

    def __init__(self, slurm: SlurmBackend, interval: float = 30, fast_interval: float = 0.5,
                 jitter: float = 0.2):
        self.slurm = slurm
        self.interval = interval
        self.fast_interval = fast_interval
        self.jitter = jitter
        self._watched: dict[str, int] = {}  # job id -> number of watchers
        self._jobs: dict[str, JobInfo] = {}
        self._fetched_ids: frozenset[str] = frozenset()  # the ids the last query asked about
        self._fetched_at = float("-inf")  # when _jobs was last filled (monotonic)
        self._error: Exception | None = None
        self._refreshing: asyncio.Future | None = None
        self._urgent = 0  # callers waiting for fast updates (servers starting)
        self._wake: asyncio.Event | None = None
        self._loop_task: asyncio.Task | None = None
        self.queries = 0  # how many queries were made (integration tests count them)

    # ------------------------------------------------------------------ watching
    def watch(self, job_id: str) -> None:
        if not isinstance(job_id, str) or not job_id:
            # one bad id would fail the one query every spawner shares
            raise ValueError(f"not a job id: {job_id!r}")
        self._watched[job_id] = self._watched.get(job_id, 0) + 1
        self._ensure_loop()

    def unwatch(self, job_id: str) -> None:
        n = self._watched.get(job_id, 0) - 1
        if n > 0:
            self._watched[job_id] = n
        else:
            self._watched.pop(job_id, None)
            self._jobs.pop(job_id, None)

    def watched(self) -> set[str]:
        return set(self._watched)

    # ------------------------------------------------------------------ reading
    async def get(self, job_id: str, max_age: float) -> JobInfo | None:
        """The job's record, at most ``max_age`` seconds old; None if Slurm has no such job.

        Raises SlurmError (or TimeoutError) when Slurm cannot be asked and no record
        fresh enough is at hand: callers must not mistake that for a finished job.
        """
        if job_id not in self._watched:
            self.watch(job_id)
        # a job the last query did not ask about is unknown, not absent: ask now. A query
        # already under way may have started before this job existed: then ask again.
        for _ in range(2):
            if job_id in self._fetched_ids and time.monotonic() - self._fetched_at <= max_age:
                break
            await self.refresh()
        if self._error is not None:
            raise self._error
        return self._jobs.get(job_id)

    async def refresh(self) -> None:
        """Ask Slurm about all watched jobs now (joining a refresh already under way)."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.ensure_future(self._query())
        fut = self._refreshing
        try:
            await asyncio.shield(fut)
        finally:
            if self._refreshing is fut and fut.done():
                self._refreshing = None

    async def _query(self) -> None:
        ids = sorted(self._watched)
        started = time.monotonic()
        try:
            self.queries += 1
            jobs = await self.slurm.query(ids) if ids else {}
        except (SlurmError, TimeoutError, OSError) as e:
            self._error = e if isinstance(e, SlurmError) else SlurmError(str(e) or repr(e))
            log.warning("Slurm status query for %d jobs failed: %s", len(ids), e)
            return
        self._error = None
        self._jobs = jobs
        self._fetched_ids = frozenset(ids)
        self._fetched_at = started

    # ------------------------------------------------------------------ schedule
    def hurry(self) -> "_Hurry":
        """Context manager: while active, refresh every ``fast_interval`` (servers starting)."""
        return _Hurry(self)

    def _ensure_loop(self) -> None:
        if self._loop_task is None or self._loop_task.done():
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop yet: get() refreshes on demand
            self._wake = asyncio.Event()
            self._loop_task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while self._watched:
            period = self.fast_interval if self._urgent else self.interval
            delay = period * random.uniform(1 - self.jitter, 1 + self.jitter)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass
            if time.monotonic() - self._fetched_at >= min(period, delay) * 0.9:
                await self.refresh()


class _Hurry:
    def __init__(self, cache: JobStatusCache):
        self.cache = cache

    def __enter__(self):
        self.cache._urgent += 1
        self.cache._ensure_loop()
        if self.cache._wake is not None:
            self.cache._wake.set()
        return self

    def __exit__(self, *exc):
        self.cache._urgent -= 1
