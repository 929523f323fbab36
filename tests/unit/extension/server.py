"""A real Jupyter server with the Funicular extension, in the test's event loop, on a
free port of 127.0.0.1: for tests of what only a running server shows (loading, auth,
routes, event streams). Everything it writes is under the test's tmp_path; the jobs
backend is the Slurm CLI one, which starts without a cluster (no job is submitted
through it), unless a test names another (``c.FunicularJobs.backend``)."""

import logging
import re
import signal
import socket
from dataclasses import dataclass, field

from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from funicular.core import hubapi
from funicular.core.jobs import JobSite, SiteImage
from funicular.extension import routes

TOKEN = "funicular-test-token"
SITE = JobSite(images={"sim": SiteImage("/apps/sim")}, host_home="/users/alice", backend="cli")
JOB, TRANSFER = "jabcabcabcabc", "abcabcabcabc"  # well-formed ids that no record has
_SAMPLES = {routes.JOB_ID: JOB, routes.TRANSFER_ID: TRANSFER}


def url(pattern: str) -> str:
    """A path that ``pattern`` (of routes.ROUTES) matches: ids that exist nowhere, the
    first of alternatives."""
    for group, sample in _SAMPLES.items():
        pattern = pattern.replace(group, sample)
    return "/" + re.sub(r"\(([a-z]+)(\|[a-z]+)*\)", r"\1", pattern)


def endpoints(*parts: str) -> list[tuple[str, str]]:
    """(METHOD, path) of every handler method of ``parts`` (all: every part)."""
    from funicular.extension.app import load_handler

    return [(method.upper(), url(pattern))
            for part, table in routes.ROUTES.items() if not parts or part in parts
            for pattern, path in table
            for method in ("get", "post", "delete") if method in vars(load_handler(path))]


@dataclass
class Server:
    app: object
    url: str

    @property
    def settings(self) -> dict:
        return self.app.web_app.settings

    async def fetch(self, path: str, method: str = "GET", body: bytes | None = None,
                    token: str | None = TOKEN, **kw) -> HTTPResponse:
        headers = {"Authorization": f"token {token}"} if token else {}
        return await AsyncHTTPClient().fetch(
            self.url + path, method=method, body=body, headers=headers, raise_error=False,
            request_timeout=kw.pop("request_timeout", 20), **kw)


@dataclass
class ServerRunner:
    tmp_path: object
    monkeypatch: object
    servers: list = field(default_factory=list)

    def env(self) -> None:
        home = self.tmp_path / "home"
        home.mkdir(exist_ok=True)
        for key, value in {
                "HOME": str(home), "JUPYTER_CONFIG_DIR": str(self.tmp_path / "config"),
                "JUPYTER_DATA_DIR": str(self.tmp_path / "data"),
                "JUPYTER_RUNTIME_DIR": str(self.tmp_path / "runtime"),
                hubapi.JOB_SITE: SITE.to_json(),
                f"{hubapi.STORE_PREFIX}S3_ENDPOINT": "http://127.0.0.1:9",
                f"{hubapi.STORE_PREFIX}S3_ACCESS_KEY": "a",
                f"{hubapi.STORE_PREFIX}S3_SECRET_KEY": "b",
        }.items():
            self.monkeypatch.setenv(key, value)
        for key in ("SLURM_JOB_ID", hubapi.MATERIAL_DIR, hubapi.WALLTIME_WARNING,
                    hubapi.LISTENING_REPORT, hubapi.HUB_API_TOKEN, hubapi.HUB_API_URL,
                    "JUPYTERHUB_SERVICE_PREFIX"):
            self.monkeypatch.delenv(key, raising=False)

    async def start(self, **traits) -> Server:
        from jupyter_server.serverapp import ServerApp

        self.env()
        # the extension sets signal handlers and the jobs logger's handlers: put back after
        self.monkeypatch.setattr(logging.getLogger("funicular.jobs"), "handlers", [])
        self.monkeypatch.setattr(logging.getLogger("funicular.jobs"), "propagate", True)
        self._usr1 = signal.getsignal(signal.SIGUSR1)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app = ServerApp.instance(
            ip="127.0.0.1", port=port, port_retries=0, root_dir=str(self.tmp_path / "home"),
            allow_root=True, open_browser=False,
            jpserver_extensions={"funicular.extension": True}, **traits)
        app.init_signal = lambda: None
        app.initialize(argv=[f"--IdentityProvider.token={TOKEN}"], new_httpserver=True)
        server = Server(app, f"http://127.0.0.1:{port}")
        self.servers.append(server)
        return server

    async def stop(self) -> None:
        from jupyter_server.serverapp import ServerApp

        for server in self.servers:
            jobs = server.settings.get("funicular_jobs")
            if jobs is not None:
                await jobs.stop()
                jobs.store.close()
            server.app.http_server.stop()
            await server.app.http_server.close_all_connections()
        if self.servers:
            ServerApp.clear_instance()
            signal.signal(signal.SIGUSR1, self._usr1)
