"""The kernel side of Funicular: a small client for the server extension (widgets follow).

``funicular.widgets.client.info()`` asks the extension of the server this kernel
belongs to where it runs.
"""

from .client import info, remaining

__all__ = ["info", "remaining"]
