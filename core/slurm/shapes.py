"""The shapes of one Slurm JSON dialect, picked by its version (``versions``).

A ``Shapes`` holds the pure functions that write a submission and read records in
one family of dialects: ``shapes38`` for Slurm 22.05 (v0.0.38), ``shapes40`` for the
data parsers v0.0.40 to v0.0.42 (23.11 to 24.11). The REST backend picks one by the
version it negotiated, the CLI backend by the ``meta`` of a command's JSON. Job
records are read by ``jobjson`` in every dialect: each field it reads has a JSON type
of its own in each dialect (a state string or list, a number plain or an object, an
exit code a wait status or a record), so a record says which one it is written in.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from ..batchjob import BatchJob
from ..errors import SlurmError
from . import shapes38, shapes40, versions
from .cluster import Association, Node, Partition, Reservation


@dataclass(frozen=True)
class Shapes:
    versions: tuple[str, ...]
    submit_body: Callable[[BatchJob, dict[str, str], str], dict]
    partition: Callable[[dict], Partition]
    node: Callable[[dict], Node]
    reservation: Callable[[dict, float], Reservation]
    association: Callable[[dict], Association | None]
    accounting_record: Callable[[dict], dict[str, str]]
    cancel_failures: Callable[[dict, tuple[int, ...]], list[str]]
    # the query that lists every partition, hidden ones included (v0.0.38 always does)
    partitions_query: str = ""


def _of(module, **kw) -> Shapes:
    return Shapes(versions=module.VERSIONS, submit_body=module.submit_body,
                  partition=module.partition, node=module.node,
                  reservation=module.reservation, association=module.association,
                  accounting_record=module.accounting_record,
                  cancel_failures=module.cancel_failures, **kw)


SLURM_22_05 = _of(shapes38)
DATA_PARSERS = _of(shapes40, partitions_query="?flags=ALL")
_BY_VERSION = {v: s for s in (SLURM_22_05, DATA_PARSERS) for v in s.versions}


def for_version(version: str) -> Shapes:
    """The shapes of a known version; SlurmError for any other."""
    try:
        return _BY_VERSION[version]
    except KeyError:
        raise SlurmError(f"Funicular does not speak Slurm's {version!r} dialect") from None


def command_records(raw: str | bytes, key: str) -> tuple[list[dict], Shapes] | None:
    """The records under ``key`` of a Slurm command's JSON (``scontrol --json show
    node`` has them under "nodes") and the shapes of the dialect its ``meta`` names;
    None for a dialect other than the data parsers' that Funicular reads (the caller
    reads the command's text instead). SlurmError when it is not such JSON."""
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise SlurmError(f"Slurm's JSON cannot be read: {e}") from None
    records = data.get(key) if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise SlurmError(f"Slurm's JSON has no list of {key}")
    if versions.data_parser(data.get("meta")) not in DATA_PARSERS.versions:
        return None
    return [r for r in records if isinstance(r, dict)], DATA_PARSERS
