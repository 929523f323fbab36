"""The jobs API in a real Jupyter server, with the real service and store behind it
and a stand-in scheduler (``standin``) chosen the way a site chooses a backend
(``c.FunicularJobs.backend``, looked up in the backends registry)."""

import json

import pytest
from traitlets.config import Config

from funicular.core.registry import Known
from funicular.extension import routes
from funicular.extension.jobs.backends import BACKENDS

from ..server import JOB, ServerRunner, endpoints
from .standin import Scheduler

JOBS = f"/{routes.JOBS}"
GOOD = {"image": "sim", "partition": "mc", "command": ["true"]}


class StandInJobBackend(Scheduler):
    name = "standin"


@pytest.fixture
async def server(tmp_path, monkeypatch):
    monkeypatch.setattr(BACKENDS, "known", {
        **BACKENDS.known, "standin": Known(f"{__name__}:StandInJobBackend")})
    runner = ServerRunner(tmp_path, monkeypatch)
    yield await runner.start(config=Config({"FunicularJobs": {"backend": "standin"}}))
    await runner.stop()


async def _post(server, path, body, **kw):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await server.fetch(path, "POST", body=raw, **kw)


async def test_every_jobs_route_needs_a_login(server):
    for method, path in endpoints("jobs"):
        for token in (None, "not-the-token"):
            r = await server.fetch(path, method, body=b"{}" if method == "POST" else None,
                                   token=token, request_timeout=5)
            assert r.code == 403, (method, path, token, r.code)
    assert server.settings["funicular_jobs"].backend.submitted == []


async def test_a_job_through_the_api(server):
    scheduler = server.settings["funicular_jobs"].backend
    r = await _post(server, JOBS, {**GOOD, "name": "first"})
    assert r.code == 201, r.body
    job = json.loads(r.body)
    assert job["state"] == "PENDING" and job["backend"] == "standin"
    assert len(scheduler.submitted) == 1 and scheduler.submitted[0].name == "first"
    listed = json.loads((await server.fetch(JOBS)).body)["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    one = await server.fetch(f"{JOBS}/{job['id']}")
    assert json.loads(one.body)["id"] == job["id"]
    site = json.loads((await server.fetch(f"{JOBS}/site")).body)
    assert site["backend"] == "standin" and list(site["images"]) == ["sim"]
    outputs = json.loads((await server.fetch(f"{JOBS}/{job['id']}/outputs")).body)
    assert outputs["dir"] == job["dir"] and isinstance(outputs["files"], list)
    logs = json.loads((await server.fetch(f"{JOBS}/{job['id']}/logs")).body)
    assert logs["data"] == "" and logs["offset"] == 0
    cancel = await _post(server, f"{JOBS}/{job['id']}/cancel", {})
    assert cancel.code == 202
    assert scheduler.tasks[job["backend_id"]][0].state == "CANCELLED"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "image"),
    ({**GOOD, "image": "nope"}, "image"),
    ({**GOOD, "colour": "red"}, "colour"),
    ({**GOOD, "command": "true"}, "command"),
    ({**GOOD, "after": ["jabcabcabcabc"]}, "after"),
])
async def test_a_refused_job_is_a_400_naming_the_field(server, body, field):
    r = await _post(server, JOBS, body)
    assert r.code == 400, r.body
    answer = json.loads(r.body)
    assert answer["field"] == field and answer["message"].startswith(f"{field}:")
    assert server.settings["funicular_jobs"].backend.submitted == []


async def test_bad_bodies_and_arguments_are_400s(server):
    r = await _post(server, JOBS, b"not json")
    assert r.code == 400 and "JSON" in json.loads(r.body)["message"]
    job = json.loads((await _post(server, JOBS, {**GOOD, "array": "0-1"})).body)
    for query, name in (("offset=-1", "offset"), ("tail=x", "tail"), ("task=1e3", "task")):
        r = await server.fetch(f"{JOBS}/{job['id']}/logs?{query}")
        assert r.code == 400 and name in json.loads(r.body)["message"], query
    r = await server.fetch(f"{JOBS}/{job['id']}/logs")  # an array: which task?
    assert r.code == 400 and json.loads(r.body)["field"] == "task"


async def test_unknown_jobs_are_404s(server):
    for method, path in endpoints("jobs"):
        if JOB not in path:
            continue
        r = await server.fetch(path, method, body=b"{}" if method == "POST" else None)
        assert r.code == 404 and f"no job {JOB}" in json.loads(r.body)["message"], path
    assert (await server.fetch(f"{JOBS}/not-an-id")).code == 404


async def test_a_scheduler_that_refuses_is_a_502_and_a_failed_record(server):
    server.settings["funicular_jobs"].backend.refuse = "sbatch: error: invalid partition"
    r = await _post(server, JOBS, GOOD)
    assert r.code == 502 and "invalid partition" in json.loads(r.body)["message"]
    (rec,) = json.loads((await server.fetch(JOBS)).body)["jobs"]
    assert rec["state"] == "SUBMIT_FAILED"
