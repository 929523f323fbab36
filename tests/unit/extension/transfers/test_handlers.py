"""The transfers and storage API in a real Jupyter server with the real service and
journal behind it: login required, refused input answered 400 with the field, unknown
transfers 404. The object store itself is never reached here (its endpoint is a
closed port); transfers against real stores run in tests/integration."""

import json

import pytest

from funicular.extension import routes

from ..server import TRANSFER, ServerRunner, endpoints

TRANSFERS, STORAGE = f"/{routes.TRANSFERS}", f"/{routes.STORAGE}"


@pytest.fixture
async def server(tmp_path, monkeypatch):
    runner = ServerRunner(tmp_path, monkeypatch)
    yield await runner.start()
    await runner.stop()


async def _post(server, path, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await server.fetch(path, "POST", body=raw)


async def test_every_transfers_route_needs_a_login(server):
    for method, path in endpoints("transfers"):
        for token in (None, "not-the-token"):
            r = await server.fetch(path, method, body=b"{}" if method == "POST" else None,
                                   token=token, request_timeout=5)
            assert r.code == 403, (method, path, token, r.code)


@pytest.mark.parametrize(("body", "field"), [
    ({"dst": "s3://bucket/key"}, "src"),
    ({"src": "file:///etc/hostname"}, "dst"),
    ({"src": "file:///etc/hostname", "dst": "s3://bucket/k", "mode": "fast"}, "mode"),
    ({"src": 3, "dst": "s3://bucket/key"}, "src"),
    ({"src": "file:///etc/hostname", "dst": "ftp://host/key"}, "dst"),
])
async def test_a_refused_transfer_is_a_400_naming_the_field(server, body, field):
    r = await _post(server, TRANSFERS, body)
    assert r.code == 400, r.body
    answer = json.loads(r.body)
    assert answer["field"] == field and answer["message"].startswith(f"{field}:")
    assert json.loads((await server.fetch(TRANSFERS)).body) == {"transfers": []}


async def test_a_body_that_is_not_json_is_a_400(server):
    for path in (TRANSFERS, f"{STORAGE}/rm"):
        r = await _post(server, path, b"{not json")
        assert r.code == 400 and "JSON" in json.loads(r.body)["message"], path


async def test_unknown_transfers_are_404s(server):
    for method, path in endpoints("transfers"):
        if TRANSFER not in path:
            continue
        r = await server.fetch(path, method, body=b"{}" if method == "POST" else None)
        assert r.code == 404 and f"no transfer {TRANSFER}" in json.loads(r.body)["message"]
    assert (await _post(server, f"{TRANSFERS}/{TRANSFER}/resume", {})).code == 404
    assert (await server.fetch(f"{TRANSFERS}/not-an-id")).code == 404


async def test_storage_browsing_and_its_refusals(server, tmp_path):
    assert json.loads((await server.fetch(STORAGE)).body) == {"stores": ["s3"]}
    (tmp_path / "home/data.csv").write_text("a,b\n")
    r = await server.fetch(f"{STORAGE}/ls?url=file://{tmp_path}/home")
    assert r.code == 200, r.body
    assert [e["name"] for e in json.loads(r.body)["entries"]] == ["data.csv"]
    r = await server.fetch(f"{STORAGE}/ls?url=gopher://x")
    assert r.code == 400
    r = await _post(server, f"{STORAGE}/rm", {})
    assert r.code == 400 and json.loads(r.body)["field"] == "url"
    r = await _post(server, f"{STORAGE}/rm", {"url": f"file://{tmp_path}/home/data.csv"})
    assert r.code == 400 and "file browser" in json.loads(r.body)["message"]
    assert (tmp_path / "home/data.csv").exists()
    for seconds in (0, True, "60", 8 * 24 * 3600):
        r = await _post(server, f"{STORAGE}/share", {"url": "s3://bucket/key",
                                                     "seconds": seconds})
        assert r.code == 400 and json.loads(r.body)["field"] == "seconds", seconds
