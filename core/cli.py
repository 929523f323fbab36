"""``funicular``: the admin's and the user's command line, one parser for all of it.

    funicular images ...         the image catalog, host fingerprints, compatibility
    funicular transfer ...       copy, resume, list and share objects (Swift, S3)
    funicular node-helpers DIR   install the scripts the compute nodes run

Each command's module adds its own subparser (``add_parser``) and the function that
runs it; this module only dispatches, and turns the failures a user can act on (a
missing file, an unknown image, a refused spec, a store error) into one line on
stderr instead of a traceback. Exit status: 0 done, 1 failed, 2 asked wrongly.
"""

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from .errors import SlurmError
from .images import cli as images
from .nodehelpers import add_parser as node_helpers
from .storage import cli as transfer
from .storage.stores import StoreError

COMMANDS = (images.add_parser, transfer.add_parser, node_helpers)


def _version() -> str:
    try:
        return version("funicular")
    except PackageNotFoundError:  # pragma: no cover - a checkout on sys.path, not installed
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="funicular", description="Funicular's commands: images, data transfers, "
                                      "node helpers.",
        epilog="`funicular COMMAND --help` for a command's own options")
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                   help="the installed version, and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return p


def _message(e: BaseException) -> str:
    if isinstance(e, KeyError) and e.args:  # str() would quote it
        return str(e.args[0])
    return str(e) or type(e).__name__


def main(argv: list[str] | None = None) -> int:
    """The console script. Returns the exit status; argparse exits 2 itself for a
    wrong command line, 0 after --help and --version."""
    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        print("funicular: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `funicular ... | head`: the reader left, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor at exit
        return 1
    except (ValueError, LookupError) as e:  # SpecError included: what was asked is wrong
        print(f"funicular: error: {_message(e)}", file=sys.stderr)
        return 2
    except (OSError, ImportError, StoreError, SlurmError) as e:
        print(f"funicular: error: {_message(e)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
