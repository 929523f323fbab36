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
import sys

from .catalog import load_catalog
from .compat import check
from .fingerprint import collect, load_fingerprint


def _spawner_config(path: str):
    from traitlets.config.loader import PyFileConfigLoader
    p = pathlib.Path(path).resolve()
    return PyFileConfigLoader(p.name, str(p.parent)).load_config().FunicularSpawner


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="funicular images")
    p.add_argument("--config", default=os.environ.get("JUPYTERHUB_CONFIG",
                                                      "jupyterhub_config.py"))
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the catalog, one image per line")
    s = sub.add_parser("show", help="an image's annotations")
    s.add_argument("name")
    c = sub.add_parser("check", help="can the image run on a partition?")
    c.add_argument("name")
    c.add_argument("--partition", required=True)
    c.add_argument("--mpi", choices=["none", "hybrid", "bind"], default="none")
    c.add_argument("--gpus", action="store_true")
    f = sub.add_parser("fingerprint", help="this host's fingerprint (run it on a node)")
    f.add_argument("--write", metavar="DIR")
    f.add_argument("--partition")
    a = p.parse_args(argv)

    if a.cmd == "fingerprint":
        fp = collect()
        if a.write:
            if not a.partition:
                p.error("--write needs --partition")
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
        print(f"no image {a.name!r} in the catalog: {', '.join(catalog)}", file=sys.stderr)
        return 2
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


def entry() -> None:
    """``funicular`` console script: ``funicular images|transfer ...``, ``node-helpers DIR``."""
    args = sys.argv[1:]
    if args and args[0] == "images":
        raise SystemExit(main(args[1:]))
    if args and args[0] == "transfer":
        from ..storage.cli import main as transfer
        raise SystemExit(transfer(args[1:]))
    if args and args[0] == "node-helpers":
        from ..nodehelpers import main as node_helpers
        raise SystemExit(node_helpers(args[1:]))
    print("usage: funicular images {list,show,check,fingerprint} ...\n"
          "       funicular transfer {cp,resume,list,ls,rm,share} ...\n"
          "       funicular node-helpers DIR", file=sys.stderr)
    raise SystemExit(2)
