"""Implementations by name, imported only when asked for, with an install hint.

One shape for container engines, object stores and follow-on job backends, as
fsspec's ``known_implementations``: a table of name -> dotted path of the class
(and what to install when its import fails). Looking a name up imports its module
then, so a hub without pyunicore or boto still loads, and a module never imports
the registry's other entries, which keeps the import graph free of loops.
"""

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    path: str  # "package.module:Class"
    install: str = ""  # what provides its dependencies, e.g. "pip install 'funicular[server]'"


class Registry:
    """``kind`` names what is looked up, for messages ("container engine")."""

    def __init__(self, kind: str, known: dict[str, Known]):
        self.kind = kind
        self.known = dict(known)
        self._loaded: dict[str, type] = {}

    def names(self) -> list[str]:
        return sorted(self.known)

    def __contains__(self, name: object) -> bool:
        return name in self.known

    def get(self, name: str) -> type:
        """The class registered as ``name``; ValueError naming the known ones, or
        ImportError saying what to install."""
        if name in self._loaded:
            return self._loaded[name]
        entry = self.known.get(name)
        if entry is None:
            raise ValueError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
        module, _, attr = entry.path.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except ImportError as e:
            hint = f"; install it with {entry.install}" if entry.install else ""
            raise ImportError(f"{self.kind} {name!r} needs {e.name or e}{hint}") from e
        self._loaded[name] = cls
        return cls

    def register(self, name: str, path: "str | type", install: str = "", *,
                 clobber: bool = False):
        """Add an implementation (a site's own engine or store): by dotted path, imported
        when first asked for, or a class already imported (kept as it is)."""
        cls = None
        if isinstance(path, type):
            cls, path = path, f"{path.__module__}:{path.__qualname__}"
        if name in self.known and not clobber and self.known[name].path != path:
            raise ValueError(f"{self.kind} {name!r} is already registered "
                             f"({self.known[name].path})")
        self.known[name] = Known(path, install)
        self._loaded.pop(name, None)
        if cls is not None:
            self._loaded[name] = cls
        return cls
