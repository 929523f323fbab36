"""``python -m funicular.extension --help-all``: the extension's options, as
``jupyter funicular --help-all`` shows them."""

from .app import main

main()
