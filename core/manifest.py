"""A folder's record of what was put in it: a small JSON file, replaced atomically.

The course material in a home (funicular.core.coursematerial) and the hub's copy of an
object-store prefix (funicular.core.storage.mirror) each keep one, to know what they
handed out or fetched without hashing or asking again.
"""

import json
import os


def load(path: str) -> dict:
    """The record, or an empty one if it is missing or unreadable (start afresh)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(path: str, data: dict) -> None:
    """Written beside and renamed: a reader never sees half a record."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=0, sort_keys=True)
    os.replace(tmp, path)
