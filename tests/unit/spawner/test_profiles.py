"""Admin profiles and the user's choice among them."""

import pytest

from funicular.core.errors import SpecError
from funicular.spawner.profiles import load_profiles

IMAGES = {"notebook": "/images/nb",
          "nb-podman": {"path": "localhost/nb:latest", "runtime": "podman"}}
RAW = [
    {"name": "mc-small", "display_name": "small", "partition": "mc", "cpus": 1,
     "image": "notebook"},
    {"name": "gpu-1", "partition": "gpu", "gpus": 1, "cpus": 2, "image": "notebook"},
]


def test_load_profiles():
    profiles = load_profiles(RAW, IMAGES)
    assert list(profiles) == ["mc-small", "gpu-1"]
    gpu = profiles["gpu-1"]
    assert gpu.resources.gpus == 1 and gpu.resources.partition == "gpu"
    assert gpu.display_name == "gpu-1"
    # an image tied to an engine brings it along
    pm = load_profiles([{"name": "pm", "partition": "mc", "image": "nb-podman"}], IMAGES)
    assert pm["pm"].runtime == "podman"


@pytest.mark.parametrize("raw,match", [
    ([{"name": "x", "partition": "mc", "image": "nope"}], "not in the image catalog"),
    ([{"name": "x", "partition": "mc", "image": "notebook", "gpu": 1}], "unknown keys"),
    ([{"name": "x y", "partition": "mc", "image": "notebook"}], "profile name"),
    ([{"name": "x", "partition": "mc;id", "image": "notebook"}], "partition"),
    ([RAW[0], RAW[0]], "used twice"),
    ([{"name": "x", "partition": "mc", "image": "nb-podman", "runtime": "charliecloud"}],
     "image 'nb-podman' is for 'podman'"),
    ([], "at least one profile"),
])
def test_bad_admin_profiles(raw, match):
    with pytest.raises(SpecError, match=match):
        load_profiles(raw, IMAGES)
