"""``funicular transfer``: the same transfers and browsing from a terminal or a script.

    funicular transfer cp SRC DST        copy (resumable; Ctrl-C leaves it resumable)
    funicular transfer resume ID         continue an interrupted one
    funicular transfer list              transfers in the journal (the server's too)
    funicular transfer ls URL            a container's or folder's entries
    funicular transfer rm URL            an object (and its segments)
    funicular transfer share URL [--seconds N]   a link anyone can GET until it expires

Credentials come from FUNICULAR_STORE_* in the environment (a notebook's terminal has
them), or from ``--credentials FILE`` (KEY=VALUE lines, mode 0600).
"""

import argparse
import os
import stat
import sys
import threading

from .. import envfile
from ..errors import SpecError
from .credentials import StoreCredentials
from .journal import RESUMABLE, Journal, default_path
from .stores import StoreError
from .transfer import CONCURRENCY, PART_SIZE, plan, run


def _credentials(path: str | None) -> StoreCredentials:
    if not path:
        return StoreCredentials.from_env(dict(os.environ))
    if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SystemExit(f"{path} is readable by others: chmod 600 it first")
    return StoreCredentials.from_env(envfile.read(path))


def _bar(t):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with funicular[storage]
        return None
    return tqdm(total=t.size or None, unit="B", unit_scale=True, unit_divisor=1024,
                desc=t.dst.rsplit("/", 1)[-1][:30], file=sys.stderr,
                # on a terminal (or when asked): not into logs and pipes
                disable=not (sys.stderr.isatty() or os.environ.get("FUNICULAR_PROGRESS")))


def _run(t, creds, journal, a) -> int:
    bar, last = None, [0]

    def progress(t):
        nonlocal bar
        if bar is None and t.size:
            bar = _bar(t)
            if bar is not None:
                bar.update(t.bytes_done)
                last[0] = t.bytes_done
        if bar is not None:
            bar.update(t.bytes_done - last[0])
            last[0] = t.bytes_done

    stop = threading.Event()
    try:
        with journal.running(t.id):
            worker = threading.Thread(target=run, args=(t, creds, journal), kwargs=dict(
                progress=progress, cancel=stop, part_size=a.part_size * 2**20,
                concurrency=a.concurrency))
            worker.start()
            try:
                while worker.is_alive():
                    worker.join(0.2)
            except KeyboardInterrupt:
                # an interrupt stops it resumably: the journal keeps what is done
                print("\ninterrupted: `funicular transfer resume "
                      f"{t.id}` continues", file=sys.stderr)
                t.error = "interrupted by the user"
                stop.set()
                worker.join()
                return 130
    except BlockingIOError:
        print(f"transfer {t.id} is running in another process", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    if t.state == "done":
        print(f"{t.src} -> {t.dst}: {t.size} bytes, checksum {t.checksum}, verified "
              f"{t.verified}" + (f", {t.rate:.0f} MB/s" if t.rate else ""))
        return 0
    print(f"{t.state}: {t.error}" + (f"\n`funicular transfer resume {t.id}` continues"
                                     if t.state in RESUMABLE else ""), file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="funicular transfer", description=__doc__.split("\n")[0])
    p.add_argument("--credentials", metavar="FILE")
    p.add_argument("--journal", default=default_path(), help="transfer records (0700)")
    p.add_argument("--part-size", type=int, default=PART_SIZE // 2**20, metavar="MiB")
    p.add_argument("--concurrency", type=int, default=CONCURRENCY)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cp", help="copy SRC to DST")
    c.add_argument("src")
    c.add_argument("dst")
    r = sub.add_parser("resume", help="continue an interrupted transfer")
    r.add_argument("id")
    sub.add_parser("list", help="the journal's transfers")
    ls = sub.add_parser("ls", help="entries under a URL")
    ls.add_argument("url")
    rm = sub.add_parser("rm", help="remove an object")
    rm.add_argument("url")
    sh = sub.add_parser("share", help="a temporary link to an object")
    sh.add_argument("url")
    sh.add_argument("--seconds", type=int, default=3600)
    a = p.parse_args(argv)
    if not 1 <= a.part_size <= 5120 or not 1 <= a.concurrency <= 64:
        p.error("--part-size wants 1..5120 MiB, --concurrency 1..64")
    creds = _credentials(a.credentials)
    journal = Journal(a.journal)
    try:
        if a.cmd == "cp":
            return _run(plan(a.src, a.dst, creds), creds, journal, a)
        if a.cmd == "resume":
            t = journal.load(a.id)
            if t.state not in RESUMABLE and not (t.state == "running"
                                                 and not journal.is_running(t.id)):
                print(f"transfer {t.id} is {t.state}: nothing to resume", file=sys.stderr)
                return 1
            return _run(t, creds, journal, a)
        if a.cmd == "list":
            for t in journal.all():
                pct = f"{100 * t.bytes_done / t.size:3.0f}%" if t.size else "   -"
                print(f"{t.id}  {t.state:11} {pct}  {t.src} -> {t.dst}"
                      + (f"  ({t.error})" if t.error and t.state != "done" else ""))
            return 0
        from .location import parse
        loc = parse(a.url, "url")
        creds.require(loc.scheme)
        from .stores import get_store
        if a.cmd == "ls":
            if loc.scheme == "file":
                raise SystemExit("ls: use ls for local files")
            fs = get_store(loc.scheme, creds).filesystem()
            for e in fs.ls(f"{loc.container}/{loc.key}".strip("/"), detail=True):
                kind = "/" if e["type"] == "directory" else ""
                print(f"{e.get('size') or 0:>14}  {loc.scheme}://{e['name'].rstrip('/')}{kind}")
            return 0
        if loc.scheme == "file" or not loc.key:
            raise SystemExit(f"{a.cmd}: {loc} does not name an object")
        store = get_store(loc.scheme, creds)
        if a.cmd == "rm":
            store.delete(loc.container, loc.key)
            return 0
        print(store.share_url(loc.container, loc.key, a.seconds))
        return 0
    except (SpecError, ValueError, KeyError, FileNotFoundError, StoreError) as e:
        print(f"funicular transfer: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
