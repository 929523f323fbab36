"""Object stores by scheme: one module per API, thin subclasses of ``ObjectStore``."""

from .base import STORES, ObjectStore, StoreError, get_store, register

__all__ = ["STORES", "ObjectStore", "StoreError", "get_store", "register"]
