"""The hub side of Funicular: FunicularSpawner and its API handler."""

import pathlib

from . import handlers, startup
from .endreason import last_ends
from .running import running_servers
from .spawner import FunicularSpawner
from .startlinks import start_again

handlers.register()
startup.with_hub()

# the home page says why a server ended, when running ones end, and offers to start a
# stopped one again with the same settings, with
#   c.JupyterHub.template_paths = [funicular.spawner.TEMPLATES]
#   c.JupyterHub.template_vars = {"funicular_last_ends": funicular.spawner.last_ends,
#                                 "funicular_running": funicular.spawner.running_servers,
#                                 "funicular_start_again": funicular.spawner.start_again}
TEMPLATES = str(pathlib.Path(__file__).parent / "templates")

__all__ = ["TEMPLATES", "FunicularSpawner", "last_ends", "running_servers", "start_again"]
