"""The extension in a real Jupyter server: one part that cannot start leaves the
others working, a damaged job store does not stop the jobs API, every endpoint of
routes.py asks Jupyter's Authorizer, and a bug in a transfer handler is not passed off
as a 404."""

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer

from funicular.core.hubapi import SERVER_LISTENER_PROOF
from funicular.extension.transfers.service import TransferService

from .server import ServerRunner, endpoints, url

# every handler method but the listener proof (unauthenticated by design: see listener)
ENDPOINTS = [e for e in endpoints() if e[1] != url(SERVER_LISTENER_PROOF)]


class NoFunicular(Authorizer):
    """A site's rule: this user may use Jupyter, but not Funicular's API."""

    def is_authorized(self, handler, user, action, resource):
        return resource != "funicular"


@pytest.fixture
async def runner(tmp_path, monkeypatch):
    r = ServerRunner(tmp_path, monkeypatch)
    yield r
    await r.stop()


async def test_a_job_store_that_cannot_open_leaves_the_other_services(runner, tmp_path):
    (tmp_path / "data/funicular/jobs.sqlite").mkdir(parents=True)  # not a file at all
    server = await runner.start()
    jobs = await server.fetch("/funicular/api/jobs")
    assert jobs.code == 503
    assert "jobs did not start" in json.loads(jobs.body)["message"]
    transfers = await server.fetch("/funicular/api/transfers")
    assert transfers.code == 200 and json.loads(transfers.body) == {"transfers": []}
    assert (await server.fetch("/funicular/api/material")).code == 404  # loaded: no course
    assert (await server.fetch("/funicular/api/info")).code == 200


async def test_a_damaged_job_store_is_moved_aside_and_jobs_still_work(runner, tmp_path):
    store = tmp_path / "data/funicular/jobs.sqlite"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"these are not the pages of a database " * 200)
    server = await runner.start()
    jobs = await server.fetch("/funicular/api/jobs")
    assert jobs.code == 200 and json.loads(jobs.body) == {"jobs": []}
    (aside,) = store.parent.glob("jobs.sqlite.damaged-*")
    assert aside.read_bytes().startswith(b"these are not")


async def test_every_endpoint_asks_the_authorizer(runner):
    server = await runner.start(authorizer_class=NoFunicular)
    assert (await server.fetch("/api/status")).code == 200  # Jupyter's own: allowed
    for method, path in ENDPOINTS:
        r = await server.fetch(path, method, body=b"{}" if method == "POST" else None,
                               request_timeout=5)
        assert r.code == 403, (method, path, r.code)


class Buggy(TransferService):
    """A service with a bug: a KeyError from deep inside forgetting a transfer."""

    def forget(self, tid):
        raise KeyError("part_size")


async def test_a_keyerror_in_a_transfer_handler_is_a_500_not_a_missing_transfer(runner):
    server = await runner.start()
    real = server.settings["funicular_transfers"]
    missing = await server.fetch("/funicular/api/transfers/abcabcabcabc", "DELETE")
    assert missing.code == 404 and "no transfer abcabcabcabc" in missing.body.decode()
    buggy = Buggy(real.journal, real.creds, part_size=real.part_size,
                  concurrency=real.concurrency)
    server.settings["funicular_transfers"] = buggy
    r = await server.fetch("/funicular/api/transfers/abcabcabcabc", "DELETE")
    assert r.code == 500 and "no transfer" not in r.body.decode()
