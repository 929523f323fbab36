"""What the cluster offers right now: partitions, nodes, associations, reservations.

Parsers are pure functions of the Slurm tools' output, so they are unit-tested on
recorded text; ``ClusterInfoCache`` keeps one snapshot for the whole hub and
refreshes it in the background, so a slow or unreachable controller never blocks
a page: callers get the last snapshot, marked stale.
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import SlurmError

if TYPE_CHECKING:  # the protocol names this module's records
    from .backend import SlurmBackend

_PAIR = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|\s*$)")


def parse_oneliners(text: str) -> list[dict[str, str]]:
    """``scontrol show <kind> --oneliner`` output: one dict per line."""
    return [dict(_PAIR.findall(line)) for line in text.splitlines()
            if "=" in line and not line.startswith("No ")]


def slurm_minutes(value: str | None) -> int | None:
    """A Slurm time ([D-]HH:MM:SS, MM:SS, MM) in whole minutes; None for UNLIMITED or junk."""
    if not value or value in ("UNLIMITED", "INFINITE", "NONE", "Partition_Limit", "N/A"):
        return None
    days, _, rest = value.rpartition("-") if "-" in value else ("", "", value)
    parts = rest.split(":")
    if not (days.isdigit() or days == "") or not all(p.isdigit() for p in parts) \
            or len(parts) > 3:
        return None
    nums = [int(p) for p in parts]
    if days:  # D-H, D-H:M, D-H:M:S
        hours, minutes = nums[0], (nums[1] if len(nums) > 1 else 0)
        return int(days) * 1440 + hours * 60 + minutes
    if len(nums) == 3:  # H:M:S
        return nums[0] * 60 + nums[1]
    return nums[0]  # M or M:S


def expand_hostlist(expr: str) -> list[str]:
    """'mc[1-2,5],gpu1' -> ['mc1', 'mc2', 'mc5', 'gpu1'] (one bracket group per name)."""
    hosts: list[str] = []
    for prefix, ranges, plain in re.findall(r"([^,\[]+)\[([^\]]+)\]|([^,\[\]]+)", expr or ""):
        if plain:
            hosts.append(plain)
            continue
        for part in ranges.split(","):
            lo, _, hi = part.partition("-")
            if not hi:
                hosts.append(prefix + lo)
                continue
            for i in range(int(lo), int(hi) + 1):
                hosts.append(prefix + str(i).zfill(len(lo)))
    return hosts


def tres_gpus(tres: str | None) -> int:
    """GPUs in a TRES string such as "cpu=8,mem=16000M,gres/gpu=2"."""
    m = re.search(r"gres/gpu=(\d+)", tres or "")
    return int(m.group(1)) if m else 0


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(re.match(r"\d+", value or "").group())
    except AttributeError:
        return default


def name_list(value: str | None) -> tuple[str, ...]:
    """Slurm's comma-separated names, "(null)" and empty ones dropped."""
    return tuple(x for x in (value or "").split(",") if x and x != "(null)")


@dataclass(frozen=True)
class Node:
    name: str
    partitions: tuple[str, ...]
    state: str
    cpus: int
    cpus_alloc: int
    memory_mb: int
    memory_alloc_mb: int
    gpus: int
    gpus_alloc: int

    @property
    def usable(self) -> bool:
        bad = ("DOWN", "DRAIN", "FAIL", "MAINT", "NOT_RESPONDING", "POWER")
        return not any(b in self.state for b in bad) and not self.state.endswith("*")

    @property
    def idle(self) -> bool:
        return self.usable and self.cpus_alloc == 0

    @classmethod
    def from_scontrol(cls, d: dict[str, str]) -> "Node":
        return cls(name=d.get("NodeName", ""), partitions=name_list(d.get("Partitions")),
                   state=d.get("State", "UNKNOWN"), cpus=_int(d.get("CPUTot")),
                   cpus_alloc=_int(d.get("CPUAlloc")), memory_mb=_int(d.get("RealMemory")),
                   memory_alloc_mb=_int(d.get("AllocMem")), gpus=tres_gpus(d.get("CfgTRES")),
                   gpus_alloc=tres_gpus(d.get("AllocTRES")))


@dataclass(frozen=True)
class Partition:
    name: str
    up: bool
    default: bool
    hidden: bool
    max_minutes: int | None  # None: unlimited
    default_minutes: int | None
    max_nodes: int | None
    allow_accounts: tuple[str, ...] | None  # None: all
    deny_accounts: tuple[str, ...]
    allow_groups: tuple[str, ...] | None  # None: all

    @classmethod
    def from_scontrol(cls, d: dict[str, str]) -> "Partition":
        def allow(key):
            v = d.get(key, "ALL")
            return None if v == "ALL" else name_list(v)
        max_nodes = d.get("MaxNodes", "UNLIMITED")
        return cls(name=d.get("PartitionName", ""), up=d.get("State") == "UP",
                   default=d.get("Default") == "YES", hidden=d.get("Hidden") == "YES",
                   max_minutes=slurm_minutes(d.get("MaxTime")),
                   default_minutes=slurm_minutes(d.get("DefaultTime")),
                   max_nodes=int(max_nodes) if max_nodes.isdigit() else None,
                   allow_accounts=allow("AllowAccounts"),
                   deny_accounts=name_list(d.get("DenyAccounts")),
                   allow_groups=allow("AllowGroups"))


@dataclass(frozen=True)
class Reservation:
    name: str
    active: bool
    start: str
    end: str
    nodes: tuple[str, ...]
    partition: str | None
    users: tuple[str, ...]
    accounts: tuple[str, ...]

    def admits(self, user: str, accounts: tuple[str, ...]) -> bool:
        """May this user (with these accounts) run in the reservation? A leading '-'
        in Slurm's lists means "everyone but"."""
        deny_users = {u[1:] for u in self.users if u.startswith("-")}
        deny_accts = {a[1:] for a in self.accounts if a.startswith("-")}
        if user in deny_users or deny_accts & set(accounts):
            return False
        users = {u for u in self.users if not u.startswith("-")}
        accts = {a for a in self.accounts if not a.startswith("-")}
        if not users and not accts:
            return bool(deny_users or deny_accts)
        return user in users or bool(accts & set(accounts))

    @classmethod
    def from_scontrol(cls, d: dict[str, str]) -> "Reservation":
        part = d.get("PartitionName")
        return cls(name=d.get("ReservationName", ""), active=d.get("State") == "ACTIVE",
                   start=d.get("StartTime", ""), end=d.get("EndTime", ""),
                   nodes=tuple(expand_hostlist(d.get("Nodes", ""))),
                   partition=part if part and part != "(null)" else None,
                   users=name_list(d.get("Users")), accounts=name_list(d.get("Accounts")))


@dataclass(frozen=True)
class Association:
    user: str
    account: str
    partition: str | None


def parse_associations(text: str) -> list[Association]:
    """``sacctmgr -nP show assoc format=user,account,partition`` (user rows only)."""
    out = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) >= 3 and parts[0] and parts[1]:
            out.append(Association(parts[0], parts[1], parts[2] or None))
    return out


@dataclass(frozen=True)
class PartitionSummary:
    """What the spawn form shows and validation checks for one partition."""

    partition: Partition
    nodes_total: int
    nodes_idle: int
    cpus_total: int
    cpus_free: int
    gpus_total: int
    gpus_free: int
    max_cpus_per_node: int
    max_memory_mb_per_node: int
    max_gpus_per_node: int


@dataclass
class ClusterSnapshot:
    partitions: dict[str, Partition]
    nodes: dict[str, Node]
    associations: list[Association]
    reservations: dict[str, Reservation]
    taken_at: float = field(default_factory=time.time)

    def accounts_of(self, user: str) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in self.associations:
            if a.user == user:
                seen[a.account] = None
        return tuple(seen)

    def account_allows(self, user: str, account: str, partition: str) -> bool:
        return any(a.user == user and a.account == account and a.partition in (None, partition)
                   for a in self.associations)

    def summary(self, name: str) -> PartitionSummary:
        nodes = [n for n in self.nodes.values() if name in n.partitions]
        usable = [n for n in nodes if n.usable]
        return PartitionSummary(
            partition=self.partitions[name], nodes_total=len(nodes),
            nodes_idle=sum(n.idle for n in usable),
            cpus_total=sum(n.cpus for n in nodes),
            cpus_free=sum(max(n.cpus - n.cpus_alloc, 0) for n in usable),
            gpus_total=sum(n.gpus for n in nodes),
            gpus_free=sum(max(n.gpus - n.gpus_alloc, 0) for n in usable),
            max_cpus_per_node=max((n.cpus for n in nodes), default=0),
            max_memory_mb_per_node=max((n.memory_mb for n in nodes), default=0),
            max_gpus_per_node=max((n.gpus for n in nodes), default=0))

    def reservations_for(self, user: str) -> list[Reservation]:
        accounts = self.accounts_of(user)
        return [r for r in self.reservations.values() if r.active and r.admits(user, accounts)]


async def fetch_snapshot(backend: "SlurmBackend") -> ClusterSnapshot:
    """Four read-only calls to a Slurm backend, run concurrently; any failure raises
    SlurmError."""
    parts, nodes, resv, assoc = await asyncio.gather(
        backend.partitions(), backend.nodes(), backend.reservations(), backend.associations())
    return ClusterSnapshot(partitions={p.name: p for p in parts},
                           nodes={n.name: n for n in nodes}, associations=assoc,
                           reservations={r.name: r for r in resv})


class ClusterInfoCache:
    """One snapshot for the whole hub, at most ``ttl`` seconds old when the controller
    answers. ``get`` never waits for a refresh once a snapshot exists."""

    def __init__(self, fetch: Callable[[], Awaitable[ClusterSnapshot]], *, ttl: float = 60,
                 first_wait: float = 5):
        self._fetch = fetch
        self.ttl = ttl
        self.first_wait = first_wait
        self.snapshot: ClusterSnapshot | None = None
        self.error: str | None = None  # why the last refresh failed
        self._task: asyncio.Task | None = None

    @classmethod
    def of(cls, backend: "SlurmBackend", **kwargs) -> "ClusterInfoCache":
        """The cache of what ``backend`` says of the cluster (``fetch_snapshot``)."""
        return cls(lambda: fetch_snapshot(backend), **kwargs)

    @property
    def stale_reason(self) -> str | None:
        """Why the snapshot may not show the cluster as it is now (None: it is fresh)."""
        if self.error:
            return self.error
        if self.snapshot and time.time() - self.snapshot.taken_at > self.ttl * 2:
            return f"not refreshed for {time.time() - self.snapshot.taken_at:.0f} s"
        return None

    def _refresh(self) -> asyncio.Task:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        return self._task

    async def _run(self) -> None:
        try:
            self.snapshot = await self._fetch()
            self.error = None
        except (SlurmError, OSError, TimeoutError) as e:
            self.error = str(e) or type(e).__name__

    async def get(self) -> ClusterSnapshot | None:
        """The freshest snapshot available now (None if the cluster was never reached)."""
        age = time.time() - self.snapshot.taken_at if self.snapshot else None
        if age is None or age > self.ttl:
            task = self._refresh()
            if self.snapshot is None:
                try:
                    await asyncio.wait_for(asyncio.shield(task), self.first_wait)
                except TimeoutError:
                    self.error = self.error or "the Slurm controller does not answer"
        return self.snapshot
