"""The Slurm backend on the command-line tools (``SlurmBackend``'s contract is in
``backend``).

Submissions and cancellations run as the job's owner (through ``become``), so
Slurm itself enforces who may do what; status queries run as the caller and ask
for many jobs in one call.

Job records come from ``squeue --json`` in every release (``jobjson`` reads 22.05's
shapes and later ones). The nodes and reservations come from ``scontrol --json show``
where the release has it in a dialect Funicular reads (23.11 to 24.11, asked once with
``scontrol --version``), and from ``scontrol show --oneliner`` text elsewhere (22.05
has no ``scontrol --json``). Partitions stay text in every release: the data parsers'
JSON leaves out a partition's Default and Hidden options. Status polls (``query``),
accounting (``sacct``) and associations (``sacctmgr``) read text without any
user-settable field, which every release prints alike.
"""

import asyncio
import re
import time
from collections.abc import Iterable

from .. import proc
from .. import validate as v
from ..batchjob import BatchJob
from ..become import as_user
from ..errors import SlurmError
from ..identity import DEFAULT, Policy
from . import jobjson, jobtext, shapes, versions
from .argv import job_id_arg, sbatch_argv, scancel_argv
from .cluster import (
    Association,
    Node,
    Partition,
    Reservation,
    parse_associations,
    parse_oneliners,
)
from .jobinfo import JobInfo, QueuedJob
from .owners import cancel_policy

_SHOWABLE = ("partition", "node", "reservation")


class SlurmCLI:
    """sbatch, squeue, scancel, scontrol, sacct and sacctmgr, each within ``timeout``."""

    def __init__(self, *, become: str = "sudo", sbatch: str = "sbatch", squeue: str = "squeue",
                 scancel: str = "scancel", scontrol: str = "scontrol", sacct: str = "sacct",
                 sacctmgr: str = "sacctmgr", timeout: float = 30,
                 identity: Policy = DEFAULT):
        self.become = become
        self.sbatch = sbatch
        self.squeue = squeue
        self.scancel = scancel
        self.scontrol = scontrol
        self.sacct = sacct
        self.sacctmgr = sacctmgr
        self.timeout = timeout
        self.identity = identity
        self._release: tuple[int, int, int] | None = None  # scontrol --version's, once known

    async def _run(self, argv: list[str], env: dict[str, str] | None = None) -> proc.Result:
        """A Slurm command within ``timeout``; a slurmctld that does not answer is a
        SlurmError like any other failure (the command is ended, see ``proc``)."""
        command = argv[argv.index("--") + 1] if "--" in argv else argv[0]
        try:
            return await proc.run(argv, timeout=self.timeout, env=env or proc.which_env())
        except TimeoutError:
            raise SlurmError(f"{command} did not answer within {self.timeout:.0f} s") \
                from None
        except OSError as e:  # not installed, not executable
            raise SlurmError(f"cannot run {command}: {e}") from None

    async def submit(self, job: BatchJob, *, user: str, script: str,
                     home: str | None = None) -> str:
        """Submit as ``user``; returns the job id. ``home``: $HOME for the job (sbatch
        exports its environment), where it is not what ``become`` sets."""
        argv = as_user(self.become, user, self.identity) + sbatch_argv(job, script, self.sbatch)
        # what the job starts with (sbatch exports it): ch-run needs $USER
        env = proc.which_env({"USER": user, "LOGNAME": user, **({"HOME": home} if home else {})})
        res = await self._run(argv, env=env)
        job_id = res.stdout.strip().split(";")[0]
        if res.returncode != 0 or not (job_id.isascii() and job_id.isdigit()):
            raise SlurmError(f"sbatch failed (exit {res.returncode}): {res.stderr.strip()}")
        return job_id

    async def _jobs(self, job_ids: Iterable[str] = (), users: Iterable[str] = ()) -> list[dict]:
        """Job records from ``squeue --json``: every field in its place, whatever
        characters users put into job names and comments. Slurm 22.05 lists every
        job it remembers whatever is asked; later releases honour ``--jobs`` and
        ``--users``: callers keep only the records they asked for."""
        argv = [self.squeue, "--json", "--local", "--states=all"]
        ids = [job_id_arg(j.split("_")[0]) for j in job_ids]
        if ids:
            argv.append(f"--jobs={','.join(sorted(set(ids)))}")
        names = sorted({v.username("user", u) for u in users})
        if names:
            argv.append(f"--users={','.join(names)}")
        res = await self._run(argv)
        if res.returncode != 0:
            # squeue lists the jobs it knows and fails only when it knows none of them
            if ids and "Invalid job id" in res.stderr:
                return []
            raise SlurmError(f"squeue failed (exit {res.returncode}): {res.stderr.strip()}")
        # 22.05 answers with every job it remembers: parse off the event loop
        return await asyncio.to_thread(jobjson.parse, res.stdout)

    async def query(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """State of the given jobs, and only of them. Jobs Slurm no longer knows are
        absent from the result.

        Raises SlurmError when the controller cannot be asked, so that callers never
        mistake an unreachable controller for a job that is gone.
        """
        ids = sorted({str(j) for j in job_ids})
        if not ids:
            return {}
        # text without free-form fields: it honours --jobs, which 22.05's --json does not
        argv = [self.squeue, "--local", "--noheader", "--states=all",
                f"--jobs={','.join(sorted({job_id_arg(j.split('_')[0]) for j in ids}))}",
                f"--format={jobtext.FORMAT}"]
        res = await self._run(argv)
        if res.returncode != 0:
            # squeue lists the jobs it knows and fails only when it knows none of them
            if "Invalid job id" in res.stderr:
                return {}
            raise SlurmError(f"squeue failed (exit {res.returncode}): {res.stderr.strip()}")
        return jobtext.parse(res.stdout, ids)

    async def cancel(self, job_id: str, *, user: str, signal: str | None = None) -> None:
        argv = as_user(self.become, user, cancel_policy(self.identity)) + \
            scancel_argv(job_id, self.scancel, signal)
        res = await self._run(argv)
        if res.returncode != 0 and "Invalid job id" not in res.stderr \
                and "already completing or completed" not in res.stderr:
            raise SlurmError(f"scancel {job_id} failed (exit {res.returncode}): "
                             f"{res.stderr.strip()}")

    async def describe(self, job_id: str) -> dict[str, str]:
        """From squeue's JSON: scontrol's text has the user's comment among the fields."""
        try:
            j = jobjson.record(await self._jobs([job_id]), job_id)
        except SlurmError:
            return {}
        return jobjson.describe_job(j) if j else {}

    async def cancelled_by(self, job_id: str) -> int | None:
        """From sacct's state ("CANCELLED by 0")."""
        argv = [self.sacct, "--noheader", "--parsable2", "--allocations",
                f"--jobs={job_id_arg(job_id)}", "--format=State"]
        try:
            res = await self._run(argv)
        except SlurmError:
            return None
        m = re.search(r"CANCELLED by (\d+)", res.stdout)
        return int(m.group(1)) if m else None

    async def accounting(self, job_id: str) -> list[dict[str, str]]:
        fields = ("JobID", "State", "ExitCode", "Start", "End", "NodeList")
        argv = [self.sacct, "--noheader", "--parsable2", "--allocations",
                f"--jobs={job_id_arg(job_id)}", f"--format={','.join(fields)}"]
        try:
            res = await self._run(argv)
        except SlurmError:
            return []
        if res.returncode != 0:
            return []
        rows = [dict(zip(fields, line.split("|"), strict=False))
                for line in res.stdout.splitlines() if line.count("|") == len(fields) - 1]
        for row in rows:  # "CANCELLED by 1001": the state word only
            row["State"] = (row.get("State") or "UNKNOWN").split()[0]
        return rows

    async def active_jobs(self) -> list[QueuedJob]:
        return jobjson.queued(await self._jobs())

    async def jobs_of(self, users: Iterable[str]) -> list[QueuedJob]:
        users = set(users)
        if not users:
            return []
        return jobjson.held(await self._jobs(users=users), users)

    async def job(self, job_id: str) -> QueuedJob | None:
        j = jobjson.record(await self._jobs([job_id]), job_id)
        return jobjson.queued_job(j) if j else None

    async def release(self) -> tuple[int, int, int] | None:
        """The Slurm release of the commands (``scontrol --version``: "slurm 22.05.8",
        "slurm-wlm 24.11.5"), asked once; None while it cannot be told."""
        if self._release is None:
            try:
                res = await self._run([self.scontrol, "--version"])
            except SlurmError:
                return None
            self._release = versions.parse_release(res.stdout) if res.returncode == 0 \
                else None
        return self._release

    async def _show_json(self, kind: str, key: str) -> tuple[list[dict], shapes.Shapes] | None:
        """``scontrol --json show node|reservation``: the records and their shapes,
        where the release writes a dialect Funicular reads; None: read the text."""
        if versions.command_parser(await self.release()) is None:
            return None
        res = await self._run([self.scontrol, "--json", "show", kind])
        if res.returncode != 0:
            raise SlurmError(f"scontrol --json show {kind} failed (exit {res.returncode}): "
                             f"{res.stderr.strip()}")
        return shapes.command_records(res.stdout, key)

    async def _show(self, kind: str) -> list[dict[str, str]]:
        """``scontrol show partition|node|reservation``: one dict per object (text:
        only administrators set the free-form fields of these)."""
        if kind not in _SHOWABLE:
            raise ValueError(f"cannot show {kind!r}")
        res = await self._run([self.scontrol, "show", kind, "--oneliner"])
        if res.returncode != 0:
            raise SlurmError(f"scontrol show {kind} failed (exit {res.returncode}): "
                             f"{res.stderr.strip()}")
        return parse_oneliners(res.stdout)

    async def partitions(self) -> list[Partition]:
        return [Partition.from_scontrol(d) for d in await self._show("partition")]

    async def nodes(self) -> list[Node]:
        found = await self._show_json("node", "nodes")
        if found is not None:
            records, dialect = found
            return [dialect.node(n) for n in records]
        return [Node.from_scontrol(d) for d in await self._show("node")]

    async def reservations(self) -> list[Reservation]:
        found = await self._show_json("reservation", "reservations")
        if found is not None:
            records, dialect = found
            now = time.time()
            return [dialect.reservation(r, now) for r in records]
        return [Reservation.from_scontrol(d) for d in await self._show("reservation")]

    async def associations(self) -> list[Association]:
        """One call for all users: cheap for slurmdbd, and the hub needs many users'."""
        res = await self._run([self.sacctmgr, "--noheader", "--parsable2", "show",
                              "associations", "format=user,account,partition"])
        if res.returncode != 0:
            raise SlurmError(f"sacctmgr failed (exit {res.returncode}): {res.stderr.strip()}")
        return parse_associations(res.stdout)
