"""The status of known jobs from squeue's text, restricted to fields no user can set.

The hub asks for the state of the jobs it watches every few seconds while servers
start. Slurm 22.05's ``squeue --json`` ignores ``--jobs`` and answers with every job
it remembers, which on a busy cluster (or one a tenant fills with jobs) is a large
document to fetch and parse each time. squeue's text honours ``--jobs``; without the
free-form fields (job name, comment, working directory), whatever users put there
cannot add or change a line. Records are kept for the ids asked for only.
"""

import re
from collections.abc import Iterable

from .jobinfo import JobInfo

# id|state|reason|batch host|nodes|start|end|user: no field a user can set
FORMAT = "%i|%T|%r|%B|%N|%S|%e|%u"
# 123, an array task 123_4, or the still-pending tasks 123_[5-9%2]
_ID = re.compile(r"[0-9]{1,19}(?:_(?:[0-9]{1,10}|\[[0-9,%-]{1,256}\]))?")
_STATE = re.compile(r"[A-Z][A-Z_]{1,31}")
_NONE = {"", "(null)", "n/a", "N/A", "None", "Unknown", "NONE"}


def _opt(value: str) -> str | None:
    return None if value.strip() in _NONE else value.strip()


def parse(text: str, ids: Iterable[str]) -> dict[str, JobInfo]:
    """Lines of ``squeue --noheader --format=FORMAT``, for the ids asked for (and the
    tasks of an array asked for by its id); any other line is skipped."""
    ids = {str(i) for i in ids}
    jobs: dict[str, JobInfo] = {}
    for line in text.split("\n"):
        parts = line.split("|")
        if len(parts) != 8:
            continue
        job_id, state, reason, host, nodes, start, end, user = (p.strip() for p in parts)
        state = state.split(" ")[0]  # "CANCELLED by 0": the state word only
        if not _ID.fullmatch(job_id) or not _STATE.fullmatch(state) or \
                (job_id not in ids and job_id.split("_")[0] not in ids):
            continue
        jobs[job_id] = JobInfo(job_id=job_id, state=state, reason=_opt(reason),
                               batch_host=_opt(host), nodes=_opt(nodes),
                               start_time=_opt(start), end_time=_opt(end), user=user, name="")
    return jobs
