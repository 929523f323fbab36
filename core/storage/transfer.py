"""The transfer engine: parts in parallel, each checked, retried, journalled; resumable.

``run(t)`` moves ``t.src`` to ``t.dst`` (see ``endpoints``). Parts are read, hashed
and written by a small thread pool (hashlib and sockets release the GIL), at most
``concurrency`` parts in memory. After every part the journal is saved, so a run that
stops (store unreachable after the retries, process killed) leaves a record that the
next ``run`` continues from: parts the sink still holds with the right MD5 are kept,
the rest are moved again; if the source changed meanwhile, it starts over.

How a run ends, and what it leaves:

* ``done``: the object (or file) is visible, checked.
* ``interrupted`` (resumable): it stopped for a reason that passes. The store did not
  answer, timed out or said it is overloaded or failing (no answer, 408, 429, 5xx)
  after the retries; a local file could not be read or written (a full disk); or it
  was asked to stop and keep its work (``interrupt``: Ctrl-C in ``funicular
  transfer``). The journal and the store keep every part written, so ``resume``
  continues where it stopped.
* ``failed`` (for good): nothing a retry would change. The destination container does
  not exist (and ``create_container`` was not asked), the source is gone or not a file,
  the store refuses the request itself (any other 4xx: no such container, no
  permission, a refused login, over quota), or the checksums do not match. The
  segments or multipart parts it wrote are removed (Swift segments in
  ``<container>_segments``, S3's multipart upload aborted; a local ``.part`` file
  deleted); a later ``resume`` starts over.
* ``cancelled``: asked for (``cancel``); what it wrote is removed as for ``failed``.
"""

import functools
import hashlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .checksum import ChecksumError, composite, expected_etags, part_count, part_range, verify
from .credentials import StoreCredentials
from .endpoints import ObjectSink, ObjectSource, Sink, Source, open_sink, open_source
from .journal import Journal, Transfer
from .location import parse
from .stores import MissingContainer, StoreError, get_store

PART_SIZE = 32 * 2**20
CONCURRENCY = 4
ATTEMPTS = 4  # per part; 0.5, 1, 2 s apart


class Cancelled(Exception):
    """Stopped on request; what was written goes."""


class Interrupted(Exception):
    """Stopped on request; what was written stays, for ``resume``."""


class _Halt:
    """The two requests to stop early, seen as one: ``cancel`` (drop the work) and
    ``interrupt`` (keep it)."""

    def __init__(self, cancel: threading.Event, interrupt: threading.Event):
        self.cancel, self.interrupt = cancel, interrupt

    def is_set(self) -> bool:
        return self.cancel.is_set() or self.interrupt.is_set()

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.is_set() and (left := deadline - time.monotonic()) > 0:
            self.cancel.wait(min(left, 0.1))

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()
        if self.interrupt.is_set():
            raise Interrupted()


def plan(src: str, dst: str, creds: StoreCredentials, isdir: Callable[[str], bool] | None = None,
         *, create_container: bool = False) -> Transfer:
    """A new transfer, or a SpecError/ValueError that says why not. A destination that
    is a folder, a container, or ends in "/" gets the source's name.
    ``create_container``: a missing destination container is made (else refused)."""
    s, d = parse(src, "src"), parse(dst, "dst")
    creds.require(s.scheme)
    creds.require(d.scheme)
    if s.is_object_store and (not s.container or not s.key or s.key.endswith("/")):
        raise ValueError(f"src: {s} does not name an object")
    isdir = isdir or os.path.isdir
    if (d.is_object_store and (not d.key or d.key.endswith("/"))) or (
            d.scheme == "file" and isdir(d.key)):
        if d.is_object_store and not d.container:
            raise ValueError(f"dst: {d} names no container")
        d = d.child(s.name)
    if str(s) == str(d):
        raise ValueError("src and dst are the same")
    return Transfer.new(str(s), str(d), create_container=create_container)


def check_destination(t: Transfer, creds: StoreCredentials, hint: str = "") -> None:
    """Before a transfer is started (by the CLI, by the server's API): its destination
    container exists, or the transfer asks for it to be made; MissingContainer (with
    ``hint``: how to ask) otherwise. ``run`` checks again, for a resume and for
    callers that skip this; this answers while the user is still there."""
    d = parse(t.dst)
    if not d.is_object_store or t.create_container:
        return
    try:
        exists = get_store(d.scheme, creds).container_exists(d.container)
    except StoreError as e:
        if e.transient:  # no answer now: the run retries, and is resumable if it must
            return
        raise
    if not exists:
        raise MissingContainer(d.container, hint)


def _retry(fn, halt: _Halt, attempts: int):
    for i in range(attempts):
        halt.check()
        try:
            return fn()
        except StoreError as e:
            if not e.transient or i == attempts - 1:
                raise
        except (ConnectionError, TimeoutError):
            if i == attempts - 1:
                raise
        halt.wait(0.5 * 2**i)
    raise AssertionError("unreachable")


def run(t: Transfer, creds: StoreCredentials, journal: Journal | None = None, *,
        progress: Callable[[Transfer], None] | None = None,
        cancel: threading.Event | None = None, interrupt: threading.Event | None = None,
        part_size: int = PART_SIZE, concurrency: int = CONCURRENCY,
        attempts: int = ATTEMPTS, durable: bool = True) -> Transfer:
    """Runs (or resumes) ``t`` to an end state: done, interrupted (resumable), failed
    or cancelled (see the module's docstring); never raises for what happens to the
    data. ``cancel``: stop and drop what was written; ``interrupt``: stop and keep it.
    ``durable``: a file written here is flushed to disk before it appears under its
    name."""
    halt = _Halt(cancel or threading.Event(), interrupt or threading.Event())
    retry = functools.partial(_retry, halt=halt, attempts=attempts)
    save = (lambda: journal.save(t)) if journal else (lambda: None)
    report = progress or (lambda t: None)
    t.state, t.error, t.started, t.ended, t.runs = "running", "", time.time(), None, t.runs + 1
    t.bytes_done = 0
    began = time.monotonic()
    sink: Sink | None = None
    try:
        src = open_source(parse(t.src), creds)
        sink = open_sink(parse(t.dst), creds, durable)
        retry(lambda: sink.ensure_container(t.create_container))
        if t.source_tag and (t.source_tag != src.tag or t.size != src.size):
            sink.discard(t)  # the source changed: nothing moved so far is of use
            t.done = {}
        t.size, t.source_tag = src.size, src.tag
        if not t.done:
            t.part_size = src.part_size or part_size
        save()
        report(t)
        etag = _move(t, src, sink, halt, retry, concurrency, save, report)
        t.verified = _verify(t, src, sink, etag)
        sink.commit(t)
        t.state = "done"
    except Cancelled:
        _drop(t, sink, "cancelled", "cancelled")
    except Interrupted:
        t.state, t.error = "interrupted", t.error or "interrupted"
    except StoreError as e:
        if e.transient:  # the store went away or is overloaded: what is journalled stays
            t.state, t.error = "interrupted", str(e)
        else:  # the store refuses this transfer itself
            _drop(t, sink, "failed", str(e))
    except (ChecksumError, FileNotFoundError, PermissionError, ValueError) as e:
        _drop(t, sink, "failed", str(e) or type(e).__name__)  # nothing to wait for
    except OSError as e:  # a local disk or file trouble that may pass (full, unmounted)
        t.state, t.error = "interrupted", str(e) or type(e).__name__
    finally:
        t.seconds += time.monotonic() - began
        t.ended = time.time()
        save()
        report(t)
    return t


def _drop(t: Transfer, sink: Sink | None, state: str, error: str) -> None:
    """Ends ``t`` for good: what it wrote (segments, multipart parts, a .part file) is
    removed, and a later run starts over."""
    if sink:
        _quietly(sink.discard, t)
    t.done, t.state, t.error = {}, state, error


def _quietly(fn, *args):
    try:
        fn(*args)
    except Exception:  # noqa: S110 (cleaning up after a failure must not hide it)
        pass


def _move(t, src: Source, sink: Sink, halt: _Halt, retry, concurrency, save, report
          ) -> str | None:
    """Moves the parts not yet done; the sink's ETag of the whole."""
    n_parts = part_count(t.size, t.part_size)
    if n_parts == 1:
        known = None
        if isinstance(sink, ObjectSink):  # visible at once: the store must check it first
            known = src.known_md5() or retry(lambda: _digest(src, t.size))
        md5, etag = retry(lambda: _send(src, 0, t.size,
                                        lambda p: sink.write_whole(t, p, known)))
        t.done = {0: md5}
        t.bytes_done, t.bytes_moved = t.size, t.bytes_moved + t.size
        return etag
    held = retry(lambda: sink.prepare(t))
    t.done = {n: m for n, m in t.done.items() if held.get(n) == m}
    t.bytes_done = sum(part_range(n, t.size, t.part_size)[1] for n in t.done)
    save()
    lock = threading.Lock()

    def one(n: int) -> None:
        off, length = part_range(n, t.size, t.part_size)
        md5, _ = retry(lambda: _send(src, off, length, lambda p: sink.write_part(t, n, p)))
        with lock:
            t.done[n] = md5
            t.bytes_done += length
            t.bytes_moved += length
            save()
            report(t)  # under the lock: the record is not changing meanwhile

    todo = iter([n for n in range(n_parts) if n not in t.done])
    failure: BaseException | None = None
    with ThreadPoolExecutor(concurrency, thread_name_prefix="transfer") as pool:
        running = set()
        while True:
            while failure is None and not halt.is_set() and len(running) < concurrency:
                n = next(todo, None)
                if n is None:
                    break
                running.add(pool.submit(one, n))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                if f.exception() is not None and failure is None:
                    failure = f.exception()
    halt.check()
    if failure is not None:
        raise failure
    return retry(lambda: sink.finish(t))


def _send(src: Source, offset: int, length: int, write) -> tuple[str, str | None]:
    """One part from the source through ``write``: (its MD5, the sink's answer). A
    store that computed another MD5 than the one of what was sent got it damaged:
    that is an error worth retrying (the part is simply sent again)."""
    part = src.open_part(offset, length)
    try:
        answer = write(part)
        md5 = part.md5()
    finally:
        part.close()
    if answer is not None and answer != md5:
        raise StoreError(f"the store received other bytes than were sent (MD5 {answer}, "
                         f"sent {md5})")
    return md5, answer


def _digest(src: Source, length: int) -> str:
    part = src.open_part(0, length)
    try:
        while part.read(2**20):
            pass
        return part.md5()
    finally:
        part.close()


def _verify(t: Transfer, src: Source, sink: Sink, etag: str | None) -> str:
    """Checks the parts' MD5s against what each end says the whole is."""
    md5s = [t.done[n] for n in range(len(t.done))]
    t.checksum = composite(md5s) + (f"-{len(md5s)}" if len(md5s) > 1 else "")
    how = []
    if isinstance(sink, ObjectSink):
        if etag not in expected_etags(md5s):
            raise ChecksumError(f"checksum mismatch: the store made {etag} of parts that "
                                f"add up to {t.checksum}")
        how.append("etag")
    if isinstance(src, ObjectSource):
        checked = verify(src.info, md5s)
        if checked is None and not src.info.large and sink.written_path:
            # a plain object's ETag is its MD5; the parts were cut differently: re-read
            h = hashlib.md5()
            with open(sink.written_path, "rb") as f:
                while chunk := f.read(8 * 2**20):
                    h.update(chunk)
            if h.hexdigest() != src.info.etag:
                raise ChecksumError(f"checksum mismatch: MD5 {h.hexdigest()} against ETag "
                                    f"{src.info.etag}")
            checked = "md5"
        how.append(checked or "size")
    return "+".join(dict.fromkeys(how)) or "size"
