"""Parsing what the Slurm tools print about the cluster (recorded on the cluster in a box)."""

from pathlib import Path

import pytest

from funicular.core.slurm.cluster import (
    ClusterSnapshot,
    Node,
    Partition,
    Reservation,
    expand_hostlist,
    parse_associations,
    parse_oneliners,
    slurm_minutes,
)

DATA = Path(__file__).parent / "data"


def snapshot() -> ClusterSnapshot:
    def load(kind):
        return parse_oneliners((DATA / f"scontrol_{kind}.txt").read_text())
    return ClusterSnapshot(
        partitions={p.name: p for p in map(Partition.from_scontrol, load("partition"))},
        nodes={n.name: n for n in map(Node.from_scontrol, load("node"))},
        associations=parse_associations((DATA / "sacctmgr_assoc.txt").read_text()),
        reservations={r.name: r for r in map(Reservation.from_scontrol, load("reservation"))})


@pytest.mark.parametrize("text,minutes", [
    ("1-00:00:00", 1440), ("01:00:00", 60), ("30", 30), ("30:00", 30), ("2-12", 3600),
    ("1-02:30", 1590), ("UNLIMITED", None), ("", None), ("1-x", None), ("1:2:3:4", None),
])
def test_slurm_minutes(text, minutes):
    assert slurm_minutes(text) == minutes


def test_expand_hostlist():
    assert expand_hostlist("mc[1-2,5],gpu1") == ["mc1", "mc2", "mc5", "gpu1"]
    assert expand_hostlist("n[08-10]") == ["n08", "n09", "n10"]
    assert expand_hostlist("") == []


def test_snapshot_from_recorded_output():
    s = snapshot()
    assert sorted(s.partitions) == ["gpu", "mc"]
    mc, gpu = s.summary("mc"), s.summary("gpu")
    assert mc.partition.default and mc.partition.max_minutes == 1440
    assert (mc.nodes_total, mc.cpus_total, mc.gpus_total) == (2, 16, 0)
    assert (gpu.gpus_total, gpu.max_gpus_per_node, gpu.max_memory_mb_per_node) == (2, 2, 16000)
    node = s.nodes["gpu1"]
    assert node.partitions == ("gpu",) and node.usable and node.idle
    assert s.nodes["mc1"].memory_mb == 16000  # a value after one with spaces (OS=Linux 6...)
    assert s.accounts_of("alice") == ("physics", "workshop")
    assert s.accounts_of("bob") == ("physics",)
    assert s.account_allows("alice", "workshop", "mc")
    assert not s.account_allows("bob", "workshop", "mc")


def test_reservations_only_active_and_admitted():
    s = snapshot()
    course, later = s.reservations["course"], s.reservations["later"]
    assert course.active and course.nodes == ("mc2",) and course.users == ("alice",)
    assert not later.active and later.accounts == ("physics",)
    assert [r.name for r in s.reservations_for("alice")] == ["course"]
    assert s.reservations_for("bob") == []  # 'later' admits physics but is not active yet


def test_reservation_deny_lists():
    r = Reservation("r", True, "", "", ("n1",), None, ("-bob",), ())
    assert r.admits("alice", ()) and not r.admits("bob", ())
