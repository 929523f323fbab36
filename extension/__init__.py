"""The notebook-server side of Funicular: a Jupyter server extension.

Auto-enabled on install (``jupyter_server_config.d/funicular.json``). It tells the notebook
where it runs (``/funicular/api/info``) and owns the user's follow-on jobs
(``/funicular/api/jobs``, see ``jobs``) and their data transfers
(``/funicular/api/transfers``, ``/funicular/api/storage``, see ``transfers``).
"""


def _jupyter_server_extension_points():
    return [{"module": "funicular.extension"}]


def _load_jupyter_server_extension(serverapp):
    from . import jobs, material, shutdown, transfers, walltime
    from .handlers import setup_handlers

    walltime.install()
    shutdown.install()
    setup_handlers(serverapp.web_app)
    jobs.setup(serverapp)
    transfers.setup(serverapp)
    material.setup_handlers(serverapp.web_app)
    serverapp.log.info("funicular extension loaded")


async def _start_jupyter_server_extension(serverapp):
    """Once the server listens (jupyter_server calls this after binding): tell the hub
    at once, if funicular-singleuser started it (FunicularSpawner's jobs)."""
    import asyncio
    import os

    from funicular.core.singleuser import LISTENING_ENV, report_listening

    if os.environ.get(LISTENING_ENV):
        status = await asyncio.to_thread(report_listening, dict(os.environ))
        serverapp.log.info("funicular: told the hub the server listens (HTTP %s)", status)
