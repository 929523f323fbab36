"""Course material kept in object storage (alice's Swift account in the box): the
hub's copy follows the prefix through either API (new, changed and deleted objects;
hidden names and other prefixes left out), a failed fetch hands out the copy fetched
before, and a participant of a workshop whose material is a prefix finds it in the
home, updated at the next start when the instructor changed it."""

import json
import logging

import pytest

from funicular.core.storage import StoreCredentials, filesystem
from funicular.core.storage.location import parse
from funicular.core.storage.mirror import MANIFEST, mirror
from funicular.core.storage.stores import get_store
from funicular.spawner import materialsource as material
from funicular.spawner.workshops import Workshop

from .harness import BOX, REPO, Hub, home, remove_container, run, store_credentials, wait_for

COURSE = REPO / "deploy/local/course/hpc101"
FILES = sorted(str(p.relative_to(COURSE)) for p in COURSE.rglob("*") if p.is_file())
CONTAINER = "funitest-course"


def _put(key: str, data: bytes) -> None:
    get_store("swift", store_credentials("alice")).put(CONTAINER, key, data, len(data), {})


@pytest.fixture
def course(cluster):
    """The box's course hpc101 under swift://funitest-course/hpc101/ (alice's)."""
    filesystem("swift", store_credentials("alice")).mkdir(CONTAINER)
    for rel in FILES:
        _put(f"hpc101/{rel}", (COURSE / rel).read_bytes())
    _put("elsewhere/not-the-course.txt", b"another prefix\n")
    yield f"{CONTAINER}/hpc101/"
    remove_container("alice", CONTAINER)


@pytest.mark.parametrize("scheme", ["swift", "s3"])
def test_the_copy_follows_the_prefix(scheme, course, tmp_path):
    prefix, target = parse(f"{scheme}://{course}"), tmp_path / "copy"
    creds = store_credentials("alice")
    report = mirror(prefix, str(target), creds)
    assert sorted(report.fetched) == FILES
    for rel in FILES:
        assert (target / rel).read_bytes() == (COURSE / rel).read_bytes()
        assert (target / rel).stat().st_mode & 0o777 == 0o644  # participants copy it
    assert not (target / "not-the-course.txt").exists()

    again = mirror(prefix, str(target), creds)
    assert again.fetched == [] and again.unchanged == len(FILES)

    _put("hpc101/01-welcome.ipynb", b'{"cells": []}')
    filesystem("swift", creds).rm_file(f"{CONTAINER}/hpc101/data/temperatures.csv")
    _put("hpc101/.answers.txt", b"hidden: not handed out\n")
    changed = mirror(prefix, str(target), creds)
    assert changed.fetched == ["01-welcome.ipynb"]
    assert changed.removed == ["data/temperatures.csv"]
    assert (target / "01-welcome.ipynb").read_bytes() == b'{"cells": []}'
    assert not (target / "data").exists()  # the folder it left empty went too
    assert not (target / ".answers.txt").exists()
    assert set(json.loads((target / MANIFEST).read_text())) == {"01-welcome.ipynb"}


async def test_a_store_that_does_not_answer_hands_out_the_last_copy(course, tmp_path):
    workshop = Workshop.from_config("course", {
        "group": "workshop", "reservation": "workshop", "partition": "training",
        "image": "notebook",
        "material": f"swift://{course}", "material_owner": "alice"},
        {"notebook": str(BOX / "images/notebook")})
    creds = store_credentials("alice")
    reachable = {"swift_auth_url": creds.swift_auth_url, "swift_user": creds.swift_user,
                 "swift_key": creds.swift_key}
    asked = []
    answer = {"creds": reachable}

    def credentials(user):
        asked.append(user)
        return StoreCredentials.from_dict(answer["creds"])
    log = logging.getLogger("test")

    def source_of(cache, refresh=0):
        return material.material_source(workshop, cache_dir=str(tmp_path / cache),
                                        refresh=refresh, credentials=credentials, log=log)
    source, note = await source_of("cache")
    assert asked == ["alice"]  # the owner's credentials, not the participant's
    assert source == str(tmp_path / "cache/course") and note == ""
    assert (tmp_path / "cache/course/01-welcome.ipynb").exists()

    answer["creds"] = {**reachable, "swift_auth_url": "http://127.0.0.1:9/auth/v1.0"}
    source, note = await source_of("cache")
    assert source == str(tmp_path / "cache/course")
    assert "could not be read" in note and f"swift://{course}" in note
    # within material_refresh of that failure, starts do not ask the store again
    assert await source_of("cache", refresh=3600) == (source, "")
    assert len(asked) == 2

    with pytest.raises(RuntimeError, match="127.0.0.1"):
        await source_of("never-fetched")


@pytest.fixture
def store_hub(cluster, course):
    h = Hub(name="test-hub-material", port_offset=400, job_prefix="funimaterial",
            FUNICULAR_WORKSHOP_MATERIAL=f"swift://{course}",
            FUNICULAR_WORKSHOP_MATERIAL_DIR="hpc101-store",
            FUNICULAR_MATERIAL_CACHE=BOX / "test-material-cache", FUNICULAR_MATERIAL_REFRESH=0,
            FUNICULAR_IDLE_TIMEOUT=0)
    with h.running():
        yield h


def test_a_participant_gets_the_material_from_the_store(store_hub):
    user = "ws020"
    folder = home(user) / "hpc101-store"
    run("rm", "-rf", str(folder))
    for attempt in range(2):
        r = store_hub.spawn(user, "", {"profile": "workshop-hpc101"})
        assert r.status_code in (201, 202), r.text
        store_hub.wait_ready(user)
        if attempt == 0:
            for rel in FILES:
                assert (folder / rel).read_bytes() == (COURSE / rel).read_bytes()
                assert (folder / rel).stat().st_uid == int(run("id", "-u", user).stdout)
            # the instructor changes the notebook in the store; the participant has not
            _put("hpc101/01-welcome.ipynb", b'{"cells": [], "v": 2}')
            store_hub.stop_server(user)
            wait_for(lambda: store_hub.server(user) is None, 60, "the server to stop")
    assert (folder / "01-welcome.ipynb").read_bytes() == b'{"cells": [], "v": 2}'
