"""The hub's start: a configuration that cannot work stops it, naming the key; a good
one starts the orphan sweep. ``App`` stands in for JupyterHub's application object (its
spawner class, config, log, proxy and database are all at_start reads)."""

import logging

import pytest
from traitlets.config import Config

from funicular.spawner import FunicularSpawner, startup


class Sweeping(FunicularSpawner):
    swept: list = []

    def start_sweep(self, proxy, session) -> None:
        Sweeping.swept.append((proxy, session))


class App:
    def __init__(self, **spawner_config):
        self.config = Config()
        for key, value in spawner_config.items():
            setattr(self.config.FunicularSpawner, key, value)
        self.spawner_class = Sweeping
        self.log = logging.getLogger("test-hub")
        self.proxy, self.db = "proxy", "db"


GOOD = {"name": "mc", "display_name": "MC", "partition": "mc", "image": "notebook"}


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("profiles", [{**GOOD, "gpu": 1}], "profile 'mc'"),  # a key no profile has
    ("profiles", [{**GOOD, "image": "nope"}], "profile 'mc'"),
    ("profiles", [], "at least one profile"),
    ("advanced_limits", {"*": {"max_nodez": 2}}, "max_nodez"),
    ("workshops", {"hpc999": {"group": "g"}}, "hpc999"),
    ("volatile_scratch", {"target": "relative"}, "scratch target"),
    ("slurm_backend", "rest", "slurmrestd_jwt_key"),
    ("profile_list", [{"display_name": "a"}, {"display_name": "b"},
                      {"display_name": "c", "funicular_override": {"partitionz": "gpu"}}],
     "profile_list[2].funicular_override: unknown FunicularSpawner setting 'partitionz'"),
    ("profile_list", [{"display_name": "a", "kubespawner_override": {"cpu_limit": 2}}],
     "profile_list[0].kubespawner_override: 'cpu_limit' cannot be set per profile"),
    ("profile_list", [{"display_name": "a", "profile_options": {"img": {"choices": {
        "x": {"funicular_override": {"server_job": {"image": "nope"}}}}}}}],
     "profile_list[0].profile_options.img.choices.x: profile 'a': image 'nope'"),
    ("cmd", [""], "cmd: must name a command"),
    ("profile_list", [{"display_name": "a", "funicular_override": {"cmd": ["", "x"]}}],
     "profile_list[0].funicular_override: 'cmd': cmd: must name a command"),
])
def test_a_broken_setting_stops_the_hub_naming_it(setting, value, named, caplog):
    Sweeping.swept = []
    with pytest.raises(SystemExit, match="configuration cannot work") as stopped:
        startup.at_start(App(**{setting: value}))
    assert named in str(stopped.value)
    assert named in caplog.text and Sweeping.swept == []


def test_a_good_configuration_starts_the_sweep():
    Sweeping.swept = []
    startup.at_start(App(profiles=[GOOD]))
    assert Sweeping.swept == [("proxy", "db")]


def test_another_spawner_class_is_left_alone():
    app = App(profiles=[])
    app.spawner_class = object
    startup.at_start(app)  # nothing to check, nothing raised


def test_profile_list_and_profiles_together_stop_the_hub():
    with pytest.raises(SystemExit, match="profiles is set as well"):
        startup.at_start(App(profiles=[GOOD], profile_list=[{"display_name": "a"}]))


def test_a_good_profile_list_starts_and_a_callable_waits_for_its_user():
    Sweeping.swept = []
    startup.at_start(App(profile_list=[{"display_name": "a", "funicular_override": {
        "server_job": {"cpus": 2}, "cmd": ["jupyter-labhub"]}}]))
    called = []
    startup.at_start(App(profile_list=lambda spawner: called.append(spawner) or []))
    assert called == [] and Sweeping.swept == [("proxy", "db")] * 2


class OpenAPI:
    """A loopback HTTP server answering GET /openapi/v3 with the paths of ``versions``,
    as slurmrestd describes itself (the REST backend asks it once, at start)."""

    def __init__(self, versions):
        import http.server
        import json
        import threading

        paths = {f"/slurm/{v}/jobs": {} for v in versions}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = json.dumps({"openapi": "3.0.2", "paths": paths}).encode()
                self.send_response(200 if self.path == "/openapi/v3" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def rest_app(tmp_path, url):
    key = tmp_path / "jwt.key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o600)
    return App(slurm_backend="rest", slurmrestd_url=url, slurmrestd_jwt_key=str(key),
               slurm_timeout=2)


async def test_slurmrestd_in_a_dialect_funicular_does_not_speak_stops_the_hub(tmp_path, caplog):
    restd = OpenAPI(["v0.0.36", "v0.0.37"])
    try:
        app = rest_app(tmp_path, restd.url)
        with pytest.raises(SystemExit, match="serves v0.0.36, v0.0.37 only") as stopped:
            await startup.check_slurmrestd(app, startup.at_start(app))
        assert "v0.0.42" in str(stopped.value)  # and says what Funicular speaks
    finally:
        restd.close()


async def test_the_hub_speaks_the_newest_version_slurmrestd_serves(tmp_path):
    restd = OpenAPI(["v0.0.40", "v0.0.41", "v0.0.42"])
    try:
        app = rest_app(tmp_path, restd.url)
        assert await startup.check_slurmrestd(app, startup.at_start(app)) == "v0.0.42"
    finally:
        restd.close()


async def test_a_slurmrestd_not_up_yet_is_logged_and_the_hub_starts(tmp_path, caplog):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = rest_app(tmp_path, f"http://127.0.0.1:{port}")
    assert await startup.check_slurmrestd(app, startup.at_start(app)) is None
    assert "slurmrestd not checked at start" in caplog.text
