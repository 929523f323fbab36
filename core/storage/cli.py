"""``funicular transfer``: the same transfers and browsing from a terminal or a script.

    funicular transfer cp SRC DST        copy (resumable; Ctrl-C leaves it resumable)
        --create-container               make DST's container if it does not exist
    funicular transfer resume ID         continue an interrupted one
    funicular transfer list              transfers in the journal (the server's too)
    funicular transfer ls URL            a container's or folder's entries
    funicular transfer rm URL            an object (and its segments)
    funicular transfer share URL [--seconds N]   a link anyone can GET until it expires

Credentials come from FUNICULAR_STORE_* in the environment (a notebook's terminal has
them; for Swift also the swift client's ST_AUTH, ST_USER, ST_KEY, or an openrc's
OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME... for Keystone v3), or from
``--credentials FILE`` (KEY=VALUE lines, mode 0600).

A copy into a container that does not exist is refused before anything moves (exit
1), unless --create-container; a copy that fails for good removes the parts it wrote;
an interrupted one (the store unreachable, Ctrl-C) keeps them for ``resume``.
"""

import argparse
import os
import stat
import sys
import threading

from .. import envfile
from .credentials import StoreCredentials
from .journal import RESUMABLE, Journal, default_path
from .location import parse
from .stores import get_store
from .transfer import CONCURRENCY, PART_SIZE, check_destination, plan
from .transfer import run as transfer


def _credentials(path: str | None) -> StoreCredentials:
    if not path:
        return StoreCredentials.from_environment()
    if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{path} is readable by others: chmod 600 it first")
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

    stop, ended = threading.Event(), threading.Event()

    def work():
        try:
            transfer(t, creds, journal, progress=progress, interrupt=stop,
                     part_size=a.part_size * 2**20, concurrency=a.concurrency)
        finally:
            ended.set()

    try:
        with journal.running(t.id):
            threading.Thread(target=work, name=f"transfer-{t.id}").start()
            try:
                # an Event, not Thread.join: a join that Ctrl-C breaks into may not wait
                # again (CPython), and the process would end before the record is saved
                while not ended.wait(0.2):
                    pass
            except KeyboardInterrupt:
                # an interrupt stops it resumably: the journal and the store keep what
                # is done
                print("\ninterrupted: `funicular transfer resume "
                      f"{t.id}` continues", file=sys.stderr)
                t.error = "interrupted by the user"
                stop.set()
                ended.wait()
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
    after = {"interrupted": f"\n`funicular transfer resume {t.id}` continues",
             "failed": f"\n(what it wrote was removed; `funicular transfer resume {t.id}` "
                       "tries again from the start)"}
    print(f"{t.state}: {t.error}" + after.get(t.state, ""), file=sys.stderr)
    return 1


def _between(lo: int, hi: int):
    def number(text: str) -> int:
        if not text.isdigit() or not lo <= int(text) <= hi:
            raise argparse.ArgumentTypeError(f"wants a whole number {lo}..{hi}")
        return int(text)
    return number


def add_parser(sub) -> argparse.ArgumentParser:
    """``transfer`` and its commands, on the ``funicular`` parser's subparsers."""
    p = sub.add_parser("transfer", help="copy, resume, list and share objects (Swift, S3)",
                       description="The notebook server's transfers and browsing, from a "
                                   "terminal or a script.",
                       epilog=__doc__.split("\n\n")[-1].strip().replace("``", ""),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--credentials", metavar="FILE",
                   help="KEY=VALUE lines (FUNICULAR_STORE_*), mode 0600; default: the "
                        "environment")
    p.add_argument("--journal", default=default_path(), metavar="DIR",
                   help="where the transfer records are kept, 0700 (default: %(default)s)")
    p.add_argument("--part-size", type=_between(1, 5120), default=PART_SIZE // 2**20,
                   metavar="MiB", help="size of each part of a large object "
                                      "(default: %(default)s)")
    p.add_argument("--concurrency", type=_between(1, 64), default=CONCURRENCY, metavar="N",
                   help="parts moved at once (default: %(default)s)")
    cmds = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
    c = cmds.add_parser("cp", help="copy SRC to DST (resumable)",
                        description="Copy SRC to DST; Ctrl-C leaves it resumable.")
    c.add_argument("src", help="swift://container/key, s3://bucket/key, or a local path")
    c.add_argument("dst", help="the same kinds; a folder or a trailing / keeps SRC's name")
    c.add_argument("--create-container", action="store_true",
                   help="make DST's container (bucket) if it does not exist; without it, "
                        "a missing one is an error")
    r = cmds.add_parser("resume", help="continue an interrupted transfer",
                        description="Continue an interrupted transfer where it stopped.")
    r.add_argument("id", help="the transfer's id (`funicular transfer list`)")
    cmds.add_parser("list", help="the journal's transfers",
                    description="The journal's transfers (the notebook server's too).")
    ls = cmds.add_parser("ls", help="entries under a URL",
                         description="A container's or folder's entries, with sizes.")
    ls.add_argument("url", help="swift://container[/prefix] or s3://bucket[/prefix]")
    rm = cmds.add_parser("rm", help="remove an object",
                         description="Remove an object (and its segments).")
    rm.add_argument("url", help="swift://container/key or s3://bucket/key")
    sh = cmds.add_parser("share", help="a temporary link to an object",
                         description="A URL anyone can GET the object with until it "
                                     "expires.")
    sh.add_argument("url", help="swift://container/key or s3://bucket/key")
    sh.add_argument("--seconds", type=_between(1, 10**8), default=3600,
                    help="how long the link works (default: %(default)s)")
    p.set_defaults(run=run)
    return p


def local(arg: str) -> str:
    """A path as a terminal user means it: relative to the working directory (a trailing
    "/" kept: it says "into this folder"). URLs are left as they are."""
    if "://" in arg or arg.startswith("/"):
        return arg
    path = os.path.abspath(arg)
    return path + "/" if arg.endswith("/") and path != "/" else path


def run(a: argparse.Namespace) -> int:
    """One command; a failure the user can act on is raised for ``funicular`` to print."""
    creds = _credentials(a.credentials)
    journal = Journal(a.journal)
    if a.cmd == "cp":
        t = plan(local(a.src), local(a.dst), creds, create_container=a.create_container)
        check_destination(t, creds, hint="--create-container makes it")
        return _run(t, creds, journal, a)
    if a.cmd == "resume":
        try:
            t = journal.load(a.id)
        except KeyError:
            raise LookupError(f"no transfer {a.id!r} in {a.journal}") from None
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
    loc = parse(a.url, "url")
    creds.require(loc.scheme)
    if a.cmd == "ls":
        if loc.scheme == "file":
            raise ValueError("ls: use ls for local files")
        fs = get_store(loc.scheme, creds).filesystem()
        for e in fs.ls(f"{loc.container}/{loc.key}".strip("/"), detail=True):
            kind = "/" if e["type"] == "directory" else ""
            print(f"{e.get('size') or 0:>14}  {loc.scheme}://{e['name'].rstrip('/')}{kind}")
        return 0
    if loc.scheme == "file" or not loc.key:
        raise ValueError(f"{a.cmd}: {loc} does not name an object")
    store = get_store(loc.scheme, creds)
    if a.cmd == "rm":
        store.delete(loc.container, loc.key)
        return 0
    print(store.share_url(loc.container, loc.key, a.seconds))
    return 0


if __name__ == "__main__":  # the same as `funicular transfer ...`
    from funicular.core.cli import main
    raise SystemExit(main(["transfer", *sys.argv[1:]]))
