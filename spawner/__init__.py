"""The hub side of Funicular: FunicularSpawner and its API handler."""

from . import handlers
from .spawner import FunicularSpawner

handlers.register()

__all__ = ["FunicularSpawner"]
