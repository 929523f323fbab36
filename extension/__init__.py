"""The notebook-server side of Funicular: one Jupyter server extension app.

Auto-enabled on install (``jupyter_server_config.d/funicular.json``). It tells the
notebook where it runs (``info``), owns the user's follow-on jobs (``jobs``) and their
data transfers (``transfers``), resets a workshop's material and proves to the hub
that it holds the server's token. The app is ``app.FunicularExtension``; every route
is in ``routes``; the options (``c.FunicularJobs.*``, ``c.FunicularTransfers.*``) are
in ``config``.
"""


def _jupyter_server_extension_points():
    from .app import FunicularExtension  # jupyter_server's import only: keeps this light

    return [{"module": "funicular.extension.app", "app": FunicularExtension}]
