"""One state for a job from the states of its tasks (a job array is many): pure.

A plain job has one task. An array is RUNNING while any task runs, PENDING while
none runs and some wait, and when all have ended: COMPLETED if all completed,
otherwise the first of CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, FAILED that
a task ended in.
"""

from dataclasses import dataclass, field

from funicular.core.jobs import array_tasks
from funicular.core.slurm.jobinfo import ACTIVE_STATES, WAITING_STATES

from .backends.base import TaskState

_FAILED_ORDER = ("CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
                 "DEADLINE", "PREEMPTED", "FAILED")


@dataclass(frozen=True)
class Summary:
    state: str
    reason: str | None = None
    nodes: str | None = None
    started: str | None = None
    ended: str | None = None
    exit_code: str | None = None
    tasks: dict[str, int] = field(default_factory=dict)  # state -> how many tasks
    expected_start: str | None = None  # while pending, when Slurm expects to start it


def _count(t: TaskState) -> int:
    """A pending array remainder ("41_[4-9%2]") stands for several tasks."""
    _, _, rest = t.key.partition("_[")
    if rest.endswith("]"):
        try:
            return len(array_tasks(rest[:-1]))
        except ValueError:
            return 1
    return 1


def summarize(tasks: list[TaskState]) -> Summary:
    if not tasks:
        return Summary("UNKNOWN")
    counts: dict[str, int] = {}
    for t in tasks:
        counts[t.state] = counts.get(t.state, 0) + _count(t)
    running = [t for t in tasks if t.state in ACTIVE_STATES and t.state not in WAITING_STATES]
    waiting = [t for t in tasks if t.state in WAITING_STATES]
    starts = sorted(t.start for t in tasks if t.start and t.state not in WAITING_STATES)
    if running:
        state = "RUNNING" if any(t.state == "RUNNING" for t in running) else running[0].state
        reason = None
    elif waiting:
        state, reason = "PENDING" if len(tasks) > 1 else waiting[0].state, waiting[0].reason
    else:
        states = {t.state for t in tasks}
        if states == {"COMPLETED"}:
            state = "COMPLETED"
        else:
            state = next((s for s in _FAILED_ORDER if s in states), sorted(states)[0])
        reason = None
    nodes = ",".join(dict.fromkeys(t.nodes for t in (running or tasks) if t.nodes)) or None
    ended = None
    if not running and not waiting:
        ended = max((t.end for t in tasks if t.end), default=None)
    codes = [t.exit_code for t in tasks if t.exit_code]
    exit_code = next((c for c in codes if c != "0:0"), codes[0] if codes else None)
    expected = min((t.start for t in waiting if t.start), default=None) if not running \
        else None
    return Summary(state, reason, nodes, starts[0] if starts else None, ended, exit_code,
                   counts, expected)
