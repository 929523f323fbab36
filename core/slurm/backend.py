"""The one interface every part of Funicular uses to talk to Slurm, and the one place
that picks its implementation.

``SlurmBackend`` is what the spawner, the status and cluster caches, the extension's
jobs backends and the workshop service call; ``SlurmCLI`` (the Slurm commands, run as
the user through ``become``) and ``SlurmREST`` (slurmrestd with JWTs) implement it, and
``tests/unit/core/slurm/test_backend.py`` checks that both follow it to the signature.
``make_backend`` turns ``SlurmSettings`` (the admin's choice) into one of them;
``check_rest`` asks a slurmrestd at start which API version it will be spoken to in
(``versions``), so that a release Funicular cannot speak with stops the hub early.

The contract, for every method unless its docstring says otherwise:

- Failures raise ``SlurmError``, whatever went wrong: a refusal, an answer that cannot
  be read, a command missing, a controller that did not answer within ``timeout``.
  Callers never see an unreachable controller as "no such job".
- Job ids are Slurm's, as strings: ``"41"``, an array task ``"41_3"``, the still
  pending tasks ``"41_[4-9]"``. A value that is not a job id raises ``ValueError``.
- Job names and comments are user-settable text: they come from structured records
  (JSON), never from splitting text output, and are never put into argv or a script.
- Acting as a user (``submit``, ``cancel``) checks the identity policy first and raises
  ``IdentityError`` for a user the gateway must never act as.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..batchjob import BatchJob
from ..become import METHODS
from ..identity import DEFAULT, Policy
from .cluster import Association, Node, Partition, Reservation
from .jobinfo import JobInfo, QueuedJob

KINDS = ("cli", "rest")


@runtime_checkable
class SlurmBackend(Protocol):
    """Submit, cancel, batched status, the jobs on the cluster, one job's record, the
    cluster view. Every method is a coroutine."""

    timeout: float  # seconds one command or request may take before it is a SlurmError

    # ------------------------------------------------------------ acting as a user
    async def submit(self, job: BatchJob, *, user: str, script: str,
                     home: str | None = None) -> str:
        """Submit ``job`` as ``user``; returns the new job's id.

        ``script`` is the path, on this host, of the fixed batch script that Slurm runs
        with ``job.command`` as its arguments (``sbatch SCRIPT ARGS...``); its text is
        sent to Slurm at submission, so it need not exist on the nodes. ``home``: $HOME
        for the job, where this host's passwd may not know it (inside a container).
        A timeout raises SlurmError although slurmctld may have taken the job: look
        for it with ``active_jobs`` (see spawner/submission.py)."""
        ...

    async def cancel(self, job_id: str, *, user: str, signal: str | None = None) -> None:
        """Cancel (or, with ``signal``, an alphanumeric name such as ``USR1``, signal)
        a job as its owner ``user``, so Slurm itself checks the ownership. A job Slurm
        no longer knows, or that is already ending, is no error. Only the policy's
        uid floor is checked: a job Slurm says is the user's is cancelled even after
        the user left the gateway's group."""
        ...

    # ------------------------------------------------------------ jobs
    async def query(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """State of the given jobs in one call, and only of them, keyed by job id; the
        tasks of an array asked for by its id come as ``ID_TASK`` (and the ones still
        pending as one ``ID_[RANGE]``). Jobs Slurm no longer knows are absent. No
        user-settable field is read (``JobInfo.name`` may be empty)."""
        ...

    async def describe(self, job_id: str) -> dict[str, str]:
        """One job's record with the keys of ``scontrol show job`` that the job-end
        report reads (JobState, Reason, ExitCode, EndTime, TimeLimit, BatchHost,
        NodeList; keys without a value left out). Best effort: empty when slurmctld
        no longer remembers the job or cannot be asked; never raises SlurmError."""
        ...

    async def job(self, job_id: str) -> QueuedJob | None:
        """One job read again by id (owner, name, comment, state), e.g. before
        cancelling it on someone's behalf; None when slurmctld does not know it."""
        ...

    async def cancelled_by(self, job_id: str) -> int | None:
        """The uid that cancelled the job, from accounting. Best effort: None when
        unknown or when accounting cannot be asked; never raises SlurmError."""
        ...

    async def accounting(self, job_id: str) -> list[dict[str, str]]:
        """What slurmdbd kept of a job slurmctld may have forgotten, one row for it and
        each task of an array: JobID, State (the state word only), ExitCode (RC:SIG),
        Start, End, NodeList. Best effort: empty when accounting has nothing or cannot
        be asked; never raises SlurmError."""
        ...

    async def active_jobs(self) -> list[QueuedJob]:
        """Every job of the cluster that holds or waits for an allocation (pending,
        running, suspended; not completing), in one call: what the orphan sweep and
        a lost submission's search look at."""
        ...

    async def jobs_of(self, users: Iterable[str]) -> list[QueuedJob]:
        """Every job of these users that Slurm still holds: waiting for, holding or
        still releasing an allocation (completing ones included, their nodes are not
        free yet). One call however many users; none asked, none returned."""
        ...

    # ------------------------------------------------------------ the cluster view
    async def partitions(self) -> list[Partition]:
        """Every partition, hidden ones included (``Partition.hidden`` says so)."""
        ...

    async def nodes(self) -> list[Node]:
        """Every node with its CPUs, memory and GPUs, total and allocated."""
        ...

    async def reservations(self) -> list[Reservation]:
        """Every reservation, active or not."""
        ...

    async def associations(self) -> list[Association]:
        """Every user's accounts (and partitions), in one call for all users."""
        ...


@dataclass(frozen=True)
class SlurmSettings:
    """How to reach Slurm: the admin's choice, in one value. Frozen and hashable, so
    that processes share one status and one cluster cache per settings (the key)."""

    kind: str = "cli"  # "cli": the Slurm commands; "rest": slurmrestd
    timeout: float = 30
    identity: Policy = DEFAULT  # whom the gateway may act as
    # cli: how submit and cancel run as the user, and the commands
    become: str = "sudo"
    sbatch: str = "sbatch"
    squeue: str = "squeue"
    scancel: str = "scancel"
    scontrol: str = "scontrol"
    sacct: str = "sacct"
    sacctmgr: str = "sacctmgr"
    # rest: where slurmrestd is, and its tokens (the cluster's JWT key, or a file
    # holding an operator's token), and whom read-only queries act as
    slurmrestd_url: str = "http://127.0.0.1:6820"
    jwt_key: str = ""
    token_file: str = ""
    service_user: str = "slurm"


def make_backend(settings: SlurmSettings) -> SlurmBackend:
    """The backend the settings ask for. ValueError names what is missing or wrong,
    at startup rather than at the first job."""
    if settings.kind not in KINDS:
        raise ValueError(f"slurm_backend must be one of {', '.join(map(repr, KINDS))}, "
                         f"not {settings.kind!r}")
    if settings.kind == "cli":
        from .cli import SlurmCLI

        if settings.become not in METHODS:
            raise ValueError(f"become must be one of {', '.join(map(repr, METHODS))}, "
                             f"not {settings.become!r}")
        return SlurmCLI(become=settings.become, sbatch=settings.sbatch,
                        squeue=settings.squeue, scancel=settings.scancel,
                        scontrol=settings.scontrol, sacct=settings.sacct,
                        sacctmgr=settings.sacctmgr, timeout=settings.timeout,
                        identity=settings.identity)
    # slurmrestd: the HTTP client and its tokens only where they are used
    from .rest import JWTSigner, SlurmREST, TokenFile

    if not settings.slurmrestd_url:
        raise ValueError("slurm_backend='rest' needs slurmrestd_url")
    if settings.jwt_key:
        tokens = JWTSigner(settings.jwt_key)
    elif settings.token_file:
        tokens = TokenFile(settings.token_file)
    else:
        raise ValueError("slurm_backend='rest' needs slurmrestd_jwt_key or "
                         "slurmrestd_token_file")
    return SlurmREST(settings.slurmrestd_url, tokens, timeout=settings.timeout,
                     service_user=settings.service_user, identity=settings.identity)


async def check_rest(target: "SlurmSettings | SlurmBackend") -> str:
    """For the hub at start with ``slurm_backend='rest'``: ask the slurmrestd that the
    settings name (or that this REST backend talks to, which then keeps the answer)
    which API versions it serves, within the settings' ``timeout``, and return the
    one Funicular will speak ("v0.0.38" on Slurm 22.05, "v0.0.42" on 24.11).
    SlurmError, in words, when it cannot be reached, refuses the token, or serves no
    version Funicular speaks; ValueError for settings ``make_backend`` refuses, and
    for anything that is not the REST backend's."""
    from .rest import SlurmREST

    backend = make_backend(target) if isinstance(target, SlurmSettings) else target
    if not isinstance(backend, SlurmREST):
        raise ValueError("check_rest is for slurm_backend='rest'")
    return (await backend.api()).slurm
