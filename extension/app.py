"""The server side of Funicular as one Jupyter server extension app.

``jupyter_server`` links it to the server (config from ``jupyter_server_config`` and
``jupyter_funicular_config``), then loads it: first the services (the walltime
warning, the exit on SIGTERM, the jobs and transfer services), then every route of
``routes.ROUTES``. Each part starts on its own: one that fails (a job store it cannot
open, a module it cannot import) is logged and its routes answer 503 with the reason,
while every other part loads. ``jupyter funicular --help-all`` (or ``python -m
funicular.extension --help-all``) documents the options.
"""

import importlib
import os

from jupyter_server.extension.application import ExtensionApp
from tornado import web

from funicular.core import hubapi

from .api import JOBS_SETTING, TRANSFERS_SETTING, ApiHandler, authorized
from .config import FunicularJobs, FunicularTransfers
from .routes import ROUTES


class Unavailable(ApiHandler):
    """The routes of a part whose handlers could not be imported: 503 with why."""

    def initialize(self, reason: str = "") -> None:
        self.reason = reason

    @web.authenticated
    @authorized
    def get(self, *args):
        raise web.HTTPError(503, self.reason)

    @web.authenticated
    @authorized
    def post(self, *args):
        raise web.HTTPError(503, self.reason)

    @web.authenticated
    @authorized
    def delete(self, *args):
        raise web.HTTPError(503, self.reason)


def load_handler(path: str) -> type:
    """The handler class a route names ("module:Class")."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


class FunicularExtension(ExtensionApp):
    """Follow-on jobs, data transfers, course material and facts of the Slurm job,
    in the notebook server."""

    name = "funicular"
    description = ("Funicular's notebook-server side: follow-on Slurm jobs, object-store "
                   "transfers, workshop material and the job's facts, at <base URL>/"
                   f"{hubapi.SERVER_API}/.")
    load_other_extensions = True
    classes = [*ExtensionApp.classes, FunicularJobs, FunicularTransfers]

    @classmethod
    def get_extension_package(cls) -> str:
        return "funicular.extension"  # funicular is a namespace of several packages

    def initialize_settings(self) -> None:
        self.failed: list[str] = []
        for what, start, error_key in (
                ("the walltime warning", self._walltime, None),
                ("the shutdown on SIGTERM", self._shutdown, None),
                ("jobs", self._jobs, f"{JOBS_SETTING}_error"),
                ("transfers", self._transfers, f"{TRANSFERS_SETTING}_error")):
            try:
                start()
            except Exception as e:
                self.failed.append(what)
                self.serverapp.log.exception("funicular: %s did not start: %s", what, e)
                if error_key:
                    self.settings[error_key] = f"{what} did not start on this server: {e}"
                    self.settings.pop(error_key.removesuffix("_error"), None)

    def initialize_handlers(self) -> None:
        for part, routes in ROUTES.items():
            try:
                handlers = [(pattern, load_handler(path)) for pattern, path in routes]
            except Exception as e:
                self.failed.append(part)
                self.serverapp.log.exception("funicular: %s did not load: %s", part, e)
                reason = {"reason": f"{part} did not load on this server: {e}"}
                handlers = [(pattern, Unavailable, reason) for pattern, _ in routes]
            self.handlers.extend(handlers)
        self.serverapp.log.info("funicular extension loaded" + (
            f" without {', '.join(self.failed)}" if self.failed else ""))

    # the services, each imported only here: one that cannot be imported fails alone
    def _walltime(self) -> None:
        from . import walltime
        walltime.install()

    def _shutdown(self) -> None:
        from . import shutdown
        shutdown.install()

    def _jobs(self) -> None:
        from . import jobs
        jobs.start(FunicularJobs(parent=self), self.settings, self.serverapp.io_loop,
                   self.serverapp.log)

    def _transfers(self) -> None:
        from . import transfers
        transfers.start(FunicularTransfers(parent=self), self.settings, self.serverapp.io_loop)

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        """Once the server listens: tell the hub at once, if funicular-singleuser
        started it (FunicularSpawner's jobs), so it need not knock on the port."""
        import asyncio

        from funicular.core.singleuser import report_listening

        if os.environ.get(hubapi.LISTENING_REPORT):
            status = await asyncio.to_thread(report_listening, dict(os.environ))
            serverapp.log.info("funicular: told the hub the server listens (HTTP %s)", status)

    async def stop_extension(self) -> None:
        """A graceful stop: the job records the store did not take yet, a last try."""
        jobs = self.settings.get(JOBS_SETTING)
        if jobs is not None:
            await jobs.stop()


main = launch_new_instance = FunicularExtension.launch_instance
