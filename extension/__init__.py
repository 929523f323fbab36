"""The notebook-server side of Funicular: a Jupyter server extension.

Auto-enabled on install (``jupyter_server_config.d/funicular.json``). It tells the notebook
where it runs (``/funicular/api/info``) and owns the user's follow-on jobs
(``/funicular/api/jobs``, see ``jobs``) and their data transfers
(``/funicular/api/transfers``, ``/funicular/api/storage``, see ``transfers``).
"""


def _jupyter_server_extension_points():
    return [{"module": "funicular.extension"}]


def _load_jupyter_server_extension(serverapp):
    """Each part on its own: one that fails to start (a job store it cannot open, a
    backend it cannot build) is logged, and its API answers 503 with the reason, while
    every other part loads (transfers, material reset, info)."""
    settings = serverapp.web_app.settings
    failed = []
    for name, setup, error_key in _PARTS:
        try:
            setup(serverapp)
        except Exception as e:
            failed.append(name)
            serverapp.log.exception("funicular: %s did not start: %s", name, e)
            if error_key:
                settings[error_key] = f"{name} did not start on this server: {e}"
                settings.pop(error_key.replace("_error", ""), None)
    serverapp.log.info("funicular extension loaded" + (
        f" without {', '.join(failed)}" if failed else ""))


def _walltime(serverapp):
    from . import walltime
    walltime.install()


def _shutdown(serverapp):
    from . import shutdown
    shutdown.install()


def _info(serverapp):
    from .handlers import setup_handlers
    setup_handlers(serverapp.web_app)


def _jobs(serverapp):
    from . import jobs
    jobs.setup(serverapp)  # its handlers first: a failure after them is a 503 with its reason


def _transfers(serverapp):
    from . import transfers
    transfers.setup(serverapp)


def _listener(serverapp):
    from . import listener
    listener.setup_handlers(serverapp.web_app)


def _material(serverapp):
    from . import materialreset as material
    material.setup_handlers(serverapp.web_app)


# (what, how it starts, the settings key its handlers read the reason of a failure from)
_PARTS = (("the walltime warning", _walltime, None), ("the shutdown on SIGTERM", _shutdown, None),
          ("info", _info, None), ("jobs", _jobs, "funicular_jobs_error"),
          ("transfers", _transfers, "funicular_transfers_error"),
          ("material", _material, None), ("the listener proof", _listener, None))


async def _start_jupyter_server_extension(serverapp):
    """Once the server listens (jupyter_server calls this after binding): tell the hub
    at once, if funicular-singleuser started it (FunicularSpawner's jobs)."""
    import asyncio
    import os

    from funicular.core.singleuser import LISTENING_ENV, report_listening

    if os.environ.get(LISTENING_ENV):
        status = await asyncio.to_thread(report_listening, dict(os.environ))
        serverapp.log.info("funicular: told the hub the server listens (HTTP %s)", status)
