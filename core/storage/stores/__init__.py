"""Object stores by scheme: one module per API, thin subclasses of ``ObjectStore``."""

from .base import ObjectStore, StoreError, get_store, register

__all__ = ["ObjectStore", "StoreError", "get_store", "register"]
