"""The server side as one ExtensionApp: its options documented by the app, the old
config names still reaching the services, every route registered from routes.py and
nothing else, a part whose handlers cannot be imported answering 503 alone, and the
hub told once the server listens."""

import json
import os
import pathlib
import subprocess
import sys

import pytest
from traitlets.config import Config

import funicular.extension
from funicular.core import hubapi
from funicular.core.hubapi import SERVER_API
from funicular.extension import routes
from funicular.extension.app import FunicularExtension, Unavailable, load_handler
from funicular.extension.config import FunicularJobs, FunicularTransfers

from .fakehub import FakeHub
from .server import ServerRunner, endpoints

OPTIONS = {FunicularJobs: ["poll_interval", "idle_poll_interval", "store_path", "backend"],
           FunicularTransfers: ["part_size_mb", "concurrency", "max_running", "fsync",
                                "journal_path"]}


@pytest.fixture
async def runner(tmp_path, monkeypatch):
    r = ServerRunner(tmp_path, monkeypatch)
    yield r
    await r.stop()


def test_the_app_lists_every_option_class_with_help():
    assert {FunicularJobs, FunicularTransfers} <= set(FunicularExtension.classes)
    for cls, names in OPTIONS.items():
        traits = cls.class_traits(config=True)
        assert sorted(traits) == sorted(names)
        assert all(len(t.help) > 20 for t in traits.values()), cls.__name__


def test_help_all_documents_the_options(tmp_path):
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path), "JUPYTER_DATA_DIR": str(tmp_path),
           "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "funicular.extension", "--help-all"],
                         capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
                         check=True).stdout
    for cls, names in OPTIONS.items():
        assert f"{cls.__name__}(Configurable) options" in out
        for name in names:
            assert f"--{cls.__name__}.{name}=" in out


def test_the_extension_points_at_the_app_and_is_enabled_on_install():
    (point,) = funicular.extension._jupyter_server_extension_points()
    assert point["app"] is FunicularExtension and FunicularExtension.name == "funicular"
    enabled = pathlib.Path(funicular.extension.__file__).parent / \
        "jupyter_server_config.d/funicular.json"
    assert json.loads(enabled.read_text()) == {
        "ServerApp": {"jpserver_extensions": {"funicular.extension": True}}}


async def test_the_old_config_names_reach_the_services(runner):
    server = await runner.start(config=Config({
        "FunicularJobs": {"poll_interval": 7.5, "idle_poll_interval": 99.0},
        "FunicularTransfers": {"part_size_mb": 8, "concurrency": 3}}))
    jobs, transfers = server.settings["funicular_jobs"], server.settings["funicular_transfers"]
    assert (jobs.poll_interval, jobs.idle_interval) == (7.5, 99.0)
    assert (transfers.part_size, transfers.concurrency) == (8 * 2**20, 3)


def _registered(server) -> dict[str, type]:
    """Pattern -> handler of every rule under the extension's API."""
    out = {}
    for rule in server.app.web_app.default_router.rules:
        for r in getattr(rule.target, "rules", []):
            pattern = r.matcher.regex.pattern
            if pattern.startswith(f"/{SERVER_API}"):
                out[pattern] = r.target
    return out


async def test_the_server_answers_on_the_routes_of_routes_py_and_no_other(runner):
    server = await runner.start()
    expected = {f"/{pattern}$": load_handler(path)
                for table in routes.ROUTES.values() for pattern, path in table}
    assert _registered(server) == expected
    assert len(endpoints()) >= len(expected)  # each route has a method


async def test_a_part_whose_handlers_cannot_be_imported_answers_503_alone(runner, monkeypatch):
    monkeypatch.setitem(routes.ROUTES, "material", (
        (routes.MATERIAL, "funicular.extension.no_such_module:MaterialHandler"),))
    server = await runner.start()
    assert _registered(server)[f"/{routes.MATERIAL}$"] is Unavailable
    r = await server.fetch(f"/{routes.MATERIAL}")
    assert r.code == 503
    assert json.loads(r.body)["message"].startswith("material did not load on this server")
    assert (await server.fetch(f"/{routes.MATERIAL}", token=None)).code == 403
    assert (await server.fetch(f"/{routes.INFO}")).code == 200
    assert (await server.fetch(f"/{routes.JOBS}")).code == 200


async def test_once_listening_the_server_tells_the_hub(runner, monkeypatch):
    hub = FakeHub(answers={hubapi.ROUTE_LISTENING: (200, {"status": "ok"})}).start()
    try:
        server = await runner.start()
        app = server.settings["funicular"]
        assert isinstance(app, FunicularExtension)
        await app._start_jupyter_server_extension(server.app)
        assert hub.requests == []  # not started by funicular-singleuser: nothing to tell
        monkeypatch.setenv(hubapi.HUB_API_URL, hub.url)
        monkeypatch.setenv(hubapi.HUB_API_TOKEN, "server-token")
        monkeypatch.setenv(hubapi.LISTENING_REPORT, "10.1.2.3:8123")
        await app._start_jupyter_server_extension(server.app)
        ((uri, headers, body),) = hub.requests
        assert uri == "/hub/api" + hubapi.ROUTE_LISTENING
        assert json.loads(body)["host"] == "10.1.2.3" and json.loads(body)["port"] == 8123
        assert headers["Authorization"] == "token server-token"
    finally:
        hub.stop()
