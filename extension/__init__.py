"""The notebook-server side of Funicular: a Jupyter server extension.

Auto-enabled on install (``jupyter_server_config.d/funicular.json``). In this
version it tells the notebook where it runs (``/funicular/api/info``); the jobs
and transfers APIs build on it.
"""


def _jupyter_server_extension_points():
    return [{"module": "funicular.extension"}]


def _load_jupyter_server_extension(serverapp):
    from . import shutdown, walltime
    from .handlers import setup_handlers

    walltime.install()
    shutdown.install()
    setup_handlers(serverapp.web_app)
    serverapp.log.info("funicular extension loaded")
