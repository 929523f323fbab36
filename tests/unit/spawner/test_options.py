"""What a user may ask for: every value checked against the admin's limits and the cluster."""

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funicular.core.batchjob import BatchJob
from funicular.core.errors import SpecError
from funicular.core.slurm.argv import sbatch_argv
from funicular.spawner import options
from funicular.spawner.profiles import load_profiles

from ..core.slurm.test_cluster import snapshot

IMAGES = {"notebook": "/images/nb", "pytorch": "/images/pt"}
PROFILES = load_profiles([
    {"name": "mc-small", "display_name": "small", "partition": "mc", "cpus": 1,
     "memory_mb": 1024, "minutes": 60, "image": "notebook"},
    {"name": "gpu-1", "partition": "gpu", "gpus": 1, "cpus": 2, "image": "notebook"},
    {"name": "ws", "partition": "mc", "account": "workshop", "image": "notebook"},
    {"name": "course", "partition": "mc", "reservation": "course", "image": "notebook"},
], IMAGES)
LIMITS = options.load_limits({"*": {"max_nodes": 1, "max_minutes": 480},
                              "gpu": {"max_gpus": 1}})
SNAP = snapshot()


def resolve(opts, user="alice", snap=SNAP, advanced=True, partitions=()):
    return options.resolve(opts, user=user, profiles=PROFILES, images=IMAGES, snapshot=snap,
                           advanced=advanced, partitions=list(partitions), limits=LIMITS)


def test_profiles_and_defaults():
    assert resolve({}).profile == "mc-small"  # the first profile is the default
    gpu = resolve({"profile": "gpu-1"})
    assert gpu.resources.gpus == 1 and gpu.label == "gpu-1" and gpu.image == "notebook"
    assert resolve({"profile": "ws"}).resources.account == "workshop"


def test_advanced_overrides_the_profile():
    c = resolve({"profile": "mc-small", "partition": "gpu", "gpus": 1, "cpus": 8,
                 "memory_mb": 16000, "minutes": 480, "account": "physics",
                 "image": "pytorch"})
    r = c.resources
    assert (r.partition, r.gpus, r.cpus, r.memory_mb, r.minutes, r.account) == \
        ("gpu", 1, 8, 16000, 480, "physics")
    assert c.image == "pytorch" and c.label.startswith("custom: gpu")
    assert resolve({"reservation": "course"}).resources.reservation == "course"


@pytest.mark.parametrize("opts,user,match", [
    ({"profile": "gpu-2"}, "alice", "not one of the offered profiles"),
    ({"profile": "mc-small; scancel -u root"}, "alice", "not one of the offered profiles"),
    ({"profile": ["gpu-1"]}, "alice", "not one of the offered profiles"),
    ({"qos": "high"}, "alice", "unknown option"),
    ({"partition": "mc\n#SBATCH --uid=0"}, "alice", "not a valid name"),
    ({"partition": "debug"}, "alice", "not a partition you can use"),
    ({"account": "workshop"}, "bob", "not one of your Slurm accounts"),
    ({"profile": "ws"}, "bob", "not a member"),
    ({"cpus": 9}, "alice", "more than the 8 per node"),
    ({"cpus": 0}, "alice", "outside the allowed range"),
    ({"cpus": "4"}, "alice", "not a whole number"),
    ({"cpus": True}, "alice", "not a whole number"),
    ({"cpus": 2.5}, "alice", "not a whole number"),
    ({"nodes": 2}, "alice", "more than the 1 allowed"),
    ({"minutes": 481}, "alice", "more than the 480 allowed"),
    ({"memory_mb": 16001}, "alice", "more than the 16000 per node"),
    ({"gpus": 1}, "alice", "partition mc has no GPUs"),
    ({"partition": "gpu", "gpus": 2}, "alice", "more than the 1 per node"),
    ({"reservation": "course"}, "bob", "not an active reservation you may use"),
    ({"reservation": "later"}, "alice", "not an active reservation"),
    ({"partition": "gpu", "reservation": "course"}, "alice", "no nodes in partition gpu"),
    ({"image": "../../etc"}, "alice", "not a valid name"),
    ({"image": "ubuntu"}, "alice", "not in the image catalog"),
    ("gpu-1", "alice", "must be an object"),
])
def test_refused_with_a_reason(opts, user, match):
    with pytest.raises(SpecError, match=match):
        resolve(opts, user=user)


def test_admin_switches():
    with pytest.raises(SpecError, match="unknown option"):
        resolve({"cpus": 2}, advanced=False)
    with pytest.raises(SpecError, match="not a partition you can use"):
        resolve({"partition": "gpu"}, partitions=["mc"])
    with pytest.raises(SpecError, match="state is unknown"):
        resolve({"cpus": 2}, snap=None)
    assert resolve({"profile": "gpu-1"}, snap=None).resources.gpus == 1  # profiles still work
    down = replace(SNAP, partitions={**SNAP.partitions,
                                     "gpu": replace(SNAP.partitions["gpu"], up=False)})
    with pytest.raises(SpecError, match="down"):
        resolve({"profile": "gpu-1"}, snap=down)


def test_from_form():
    form = {"profile": ["mc-small"], "mode": ["advanced"], "cpus": ["4"], "gpus": [""],
            "partition": ["mc"], "account": [""], "_xsrf": ["x"]}
    assert options.from_form(form) == {"profile": "mc-small", "cpus": 4, "partition": "mc"}
    assert options.from_form({"profile": ["gpu-1"], "mode": ["profile"], "cpus": ["4"]}) == \
        {"profile": "gpu-1"}  # the hidden advanced pane is ignored
    with pytest.raises(SpecError, match="not a whole number"):
        options.from_form({"mode": ["advanced"], "cpus": ["4; rm -rf /"]})


def test_from_form_takes_the_chosen_profile_list_profiles_options():
    form = {"profile": ["gpu"], "mode": ["profile"],
            "profile-option-gpu--image": ["torch"],
            "profile-option-cpu--image": ["notebook"],  # another profile's: not chosen
            "profile-option-gpu--n": [options.UNLISTED_PICK],
            "profile-option-gpu--n--unlisted-choice": [" 7 "],
            "profile-option-gpu--tag": ["v2"],  # a choice: its text field is ignored
            "profile-option-gpu--tag--unlisted-choice": ["v9"],
            "profile-option-gpu--repo--unlisted-choice": ["course"]}  # text only
    assert options.from_form(form) == {
        "profile": "gpu", "profile-option-image": "torch",
        "profile-option-n--unlisted-choice": "7", "profile-option-tag": "v2",
        "profile-option-repo--unlisted-choice": "course"}
    # a hub with `profiles` has no such options: refused like any unknown key
    with pytest.raises(SpecError, match=r"unknown option\(s\) \['profile-option-image'\]"):
        resolve({"profile": "gpu-1", "profile-option-image": "torch"})


# ---------------------------------------------------------------- fuzzing
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
hostile = st.sampled_from([
    "mc; scancel -u root", "$(id)", "`id`", "mc\n#SBATCH --uid=0", "../../etc/passwd",
    "--partition=gpu", "-p", "gpu --gres=gpu:8", "mc\x00", "ß", "", " ", "a" * 65, "mc,gpu",
    "workshop", "course", "later", "gpu", "mc", "physics", "notebook", "pytorch",
])
values = st.one_of(hostile, st.text(max_size=20), st.integers(-10, 1 << 40), st.booleans(),
                   st.none(), st.floats(allow_nan=True), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
keys = st.sampled_from([*options.ADVANCED_KEYS, "profile", "qos", "command", "__class__"])


@settings(max_examples=600, deadline=None)
@given(opts=st.dictionaries(keys, values, max_size=6),
       user=st.sampled_from(["alice", "bob"]))
def test_fuzzed_options_never_yield_an_invalid_job(opts, user):
    """Whatever comes in, either a clear refusal or resources the cluster and the admin allow."""
    try:
        choice = resolve(opts, user=user)
    except SpecError as e:
        assert str(e).split(":")[0]  # names the field
        return
    r = choice.resources
    summary = SNAP.summary(r.partition)
    assert summary.partition.up
    assert r.account is None or SNAP.account_allows(user, r.account, r.partition)
    assert r.cpus <= summary.max_cpus_per_node and r.gpus <= summary.max_gpus_per_node
    assert r.memory_mb is None or r.memory_mb <= summary.max_memory_mb_per_node
    assert r.nodes == 1 and r.minutes <= 480 and choice.image in IMAGES
    if r.partition == "gpu":
        assert r.gpus <= 1
    if r.reservation:
        assert r.reservation in [x.name for x in SNAP.reservations_for(user)]
    job = BatchJob(name="funicular-default", resources=r, command=("true",),
                   workdir="/home/x", output="/home/x/log")
    for arg in sbatch_argv(job, "/launch.sh")[1:-2]:
        flag, _, value = arg.partition("=")
        assert flag.startswith("--") and "\n" not in value and "\0" not in value
        if flag in ("--partition", "--account", "--reservation"):
            assert _NAME.fullmatch(value)
