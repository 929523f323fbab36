"""``funicular node-helpers DIR``: install the scripts that run on the compute nodes.

Engines that pass the host environment through start under ``envfilter.sh``, rootless
Podman under ``podman-job.sh``. The hub puts their paths into job command lines, so
they must exist at that path on every node: by default the hub's own installation
(right where the nodes share it), otherwise a directory the admin installs them into
and names in ``c.FunicularSpawner.node_helpers_dir``.
"""

import argparse
import os
import pathlib
import shutil
import tempfile

from .containers.base import HELPERS_DIR, NODE_HELPERS


def install(target: str | os.PathLike) -> list[pathlib.Path]:
    """Copy the helpers into target (created if missing), mode 755, each replaced
    atomically so that a job starting meanwhile never runs half a script."""
    target = pathlib.Path(target)
    target.mkdir(parents=True, exist_ok=True)
    done = []
    for name in NODE_HELPERS:
        with tempfile.NamedTemporaryFile(dir=target, prefix=f".{name}.", delete=False) as tmp:
            with open(pathlib.Path(HELPERS_DIR) / name, "rb") as src:
                shutil.copyfileobj(src, tmp)
        os.chmod(tmp.name, 0o755)
        os.replace(tmp.name, target / name)
        done.append(target / name)
    return done


def add_parser(sub) -> argparse.ArgumentParser:
    """``node-helpers``, on the ``funicular`` parser's subparsers."""
    p = sub.add_parser("node-helpers", help="install the scripts the compute nodes run",
                       description=__doc__.split("\n\n")[1].replace("\n", " ").replace("``", ""))
    p.add_argument("dir", help="where the compute nodes will find them (node_helpers_dir)")
    p.set_defaults(run=run)
    return p


def run(a: argparse.Namespace) -> int:
    for path in install(a.dir):
        print(path)
    return 0
