"""Object stores by scheme: one module per API, thin subclasses of ``ObjectStore``."""

from .base import STORES, MissingContainer, ObjectStore, StoreError, get_store, register

__all__ = ["STORES", "MissingContainer", "ObjectStore", "StoreError", "get_store",
           "register"]
