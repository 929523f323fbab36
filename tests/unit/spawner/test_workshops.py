"""Workshops from the admin's config: checked at load; a participant (by JupyterHub
group) gets the workshop's profile only, on its reservation, and nothing else."""

from types import SimpleNamespace

import pytest

from funicular.core.errors import SpecError
from funicular.spawner import FunicularSpawner
from funicular.spawner.options import resolve
from funicular.spawner.workshops import load_workshops, workshop_of

IMAGES = {"notebook": "/img/notebook"}
HPC101 = {"group": "hpc101", "reservation": "hpc101", "account": "workshop",
          "partition": "mc", "cpus": 1, "memory_mb": 512, "minutes": 120,
          "image": "notebook", "material": "/srv/courses/hpc101"}


def test_a_workshop_is_a_profile_on_its_reservation():
    (w,) = load_workshops({"hpc101": HPC101}, IMAGES).values()
    r = w.profile.resources
    assert (r.reservation, r.account, r.cpus, r.minutes) == ("hpc101", "workshop", 1, 120)
    assert w.material_dir == "hpc101" and w.profile.image == "notebook"
    assert workshop_of({"hpc101": w}, ["staff", "hpc101"]) is w
    assert workshop_of({"hpc101": w}, ["staff"]) is None


@pytest.mark.parametrize("bad, words", [
    ({"reservation": None}, "'reservation' is required"),
    ({"partition": None}, "'partition' is required"),
    ({"group": "x y"}, "not a valid name"),
    ({"material": "relative/path"}, "absolute"),
    ({"material_dir": "../elsewhere"}, "inside the home"),
    ({"image": "other"}, "image catalog"),
    ({"nodes": 4}, "unknown keys"),
    ({"material": "swift://courses/hpc101/"}, "needs 'material_owner'"),
    ({"material": "file:///srv/courses", "material_owner": "alice"}, "a folder, or"),
    ({"material": "s3://courses/../x/", "material_owner": "alice"}, "'..'"),
    ({"material": "swift://courses/", "material_owner": "al ice"}, "not a valid user"),
])
def test_bad_workshops_are_refused_at_load(bad, words):
    with pytest.raises(SpecError, match=words):
        load_workshops({"hpc101": {**HPC101, **bad}}, IMAGES)


def test_material_from_an_object_store_prefix():
    (w,) = load_workshops({"hpc101": {**HPC101, "material": "s3://courses/hpc101/",
                                      "material_owner": "alice"}}, IMAGES).values()
    loc = w.material_location
    assert (loc.scheme, loc.container, loc.key) == ("s3", "courses", "hpc101/")
    assert w.material_owner == "alice"
    (folder,) = load_workshops({"hpc101": HPC101}, IMAGES).values()
    assert folder.material_location is None


def _spawner(groups):
    s = FunicularSpawner(workshops={"hpc101": HPC101}, images=IMAGES, profiles=[
        {"name": "mc-big", "partition": "mc", "cpus": 8, "image": "notebook"}])
    s.user = SimpleNamespace(name="ws001", groups=[SimpleNamespace(name=g) for g in groups])
    return s


def test_participants_get_the_workshop_profile_and_nothing_else():
    s = _spawner(["hpc101"])
    assert list(s.profile_map) == ["workshop-hpc101"] and not s.advanced
    choice = resolve({}, user="ws001", profiles=s.profile_map, images=s.images,
                     snapshot=None, advanced=s.advanced, partitions=[], limits=s.loaded.limits)
    assert choice.resources.reservation == "hpc101"
    for asked in ({"profile": "mc-big"}, {"cpus": 8}):
        with pytest.raises(SpecError):
            resolve(asked, user="ws001", profiles=s.profile_map, images=s.images,
                    snapshot=None, advanced=s.advanced, partitions=[], limits=s.loaded.limits)
    others = _spawner(["staff"])
    assert list(others.profile_map) == ["mc-big"] and others.advanced
