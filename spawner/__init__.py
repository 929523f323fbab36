"""The hub side of Funicular: FunicularSpawner and its API handler."""

import pathlib

from . import handlers
from .endreason import last_ends
from .spawner import FunicularSpawner

handlers.register()

# the home page says why a server ended, with
#   c.JupyterHub.template_paths = [funicular.spawner.TEMPLATES]
#   c.JupyterHub.template_vars = {"funicular_last_ends": funicular.spawner.last_ends}
TEMPLATES = str(pathlib.Path(__file__).parent / "templates")

__all__ = ["TEMPLATES", "FunicularSpawner", "last_ends"]
