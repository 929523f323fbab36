"""``funicular images``: the image catalog, annotations, host fingerprints, checks.

    funicular images [--config jupyterhub_config.py] list
    funicular images show NAME
    funicular images check NAME --partition P [--mpi hybrid|bind] [--gpus]
    funicular images fingerprint [--write DIR --partition P]
"""

import argparse
import json
import os
import pathlib

from ..containers.base import MPI_MODES
from .catalog import load_catalog
from .compat import check
from .fingerprint import collect, load_fingerprint

CONFIG = "jupyterhub_config.py"


def _spawner_config(path: str):
    """The hub's FunicularSpawner settings; errors that say which file and why."""
    p = pathlib.Path(path).resolve()
    if not p.is_file():
        raise FileNotFoundError(
            f"no hub configuration {path!r}: run this in the hub's directory, or name the "
            "file with --config (or JUPYTERHUB_CONFIG)")
    from traitlets.config.loader import PyFileConfigLoader
    try:
        return PyFileConfigLoader(p.name, str(p.parent)).load_config().FunicularSpawner
    except Exception as e:  # the config is Python: anything may go wrong in it
        raise ValueError(f"{path}: cannot be read: {type(e).__name__}: {e}") from e


def add_parser(sub) -> argparse.ArgumentParser:
    """``images`` and its commands, on the ``funicular`` parser's subparsers."""
    p = sub.add_parser("images", help="the image catalog, host fingerprints, compatibility",
                       description="The hub's image catalog, host fingerprints and whether "
                                   "an image can run on a partition.")
    p.add_argument("--config", metavar="FILE",
                   default=os.environ.get("JUPYTERHUB_CONFIG", CONFIG),
                   help="the hub's configuration, whose FunicularSpawner.images is the "
                        "catalog (default: $JUPYTERHUB_CONFIG or ./%(default)s)")
    cmds = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    cmds.add_parser("list", help="the catalog, one image per line",
                    description="The catalog, one image per line, with its annotations.")
    s = cmds.add_parser("show", help="an image's annotations",
                        description="An image's path, description and annotations (JSON).")
    s.add_argument("name", help="the image's name in the catalog")
    c = cmds.add_parser("check", help="can the image run on a partition?",
                        description="Compare an image's annotations with a partition's "
                                    "fingerprint; exit 1 if it cannot run there.")
    c.add_argument("name", help="the image's name in the catalog")
    c.add_argument("--partition", required=True,
                   help="the Slurm partition whose fingerprint to check against")
    c.add_argument("--mpi", choices=MPI_MODES, default="none",
                   help="how the job would run MPI (default: %(default)s)")
    c.add_argument("--gpus", action="store_true", help="the job would ask for GPUs")
    f = cmds.add_parser("fingerprint", help="this host's fingerprint (run it on a node)",
                        description="This host's CPU levels, glibc, MPI, PMI and GPU driver, "
                                    "as JSON; run it on a compute node of each partition.")
    f.add_argument("--write", metavar="DIR",
                   help="write it to DIR/PARTITION.json (the hub's fingerprint_dir)")
    f.add_argument("--partition", help="the partition this node belongs to (with --write)")
    p.set_defaults(run=run)
    return p


def run(a: argparse.Namespace) -> int:
    if a.cmd == "fingerprint":
        if a.write and not a.partition:
            raise ValueError("--write needs --partition")
        fp = collect()
        if a.write:
            out = pathlib.Path(a.write) / f"{a.partition}.json"
            out.write_text(fp.to_json() + "\n")
            print(f"wrote {out}")
        else:
            print(fp.to_json())
        return 0

    cfg = _spawner_config(a.config)
    catalog = load_catalog(dict(cfg.get("images", {})))
    if a.cmd == "list":
        for img in catalog.values():
            print(f"{img.name:20} {img.path}  {img.summary() or '(no annotations)'}")
        return 0
    if a.name not in catalog:
        raise LookupError(f"no image {a.name!r} in the catalog of {a.config}: "
                          f"{', '.join(catalog) or 'it is empty'}")
    img = catalog[a.name]
    if a.cmd == "show":
        print(json.dumps({"name": img.name, "path": img.path, "description": img.description,
                          "annotations": img.annotations}, indent=1))
        return 0
    host = load_fingerprint(a.partition, dict(cfg.get("partition_fingerprints", {})),
                            cfg.get("fingerprint_dir") or None)
    problems = check(img.annotations, host, mpi_mode=a.mpi, gpus=a.gpus,
                     where=f"partition {a.partition}")
    for prob in problems:
        print(f"{'refused' if prob.fatal else 'warning'}: {prob}")
    if not problems:
        print(f"ok: {img.name} can run on partition {a.partition}")
    return 1 if any(prob.fatal for prob in problems) else 0
