"""Change streams: a listener that falls behind is dropped and its stream ends, so its
client reconnects to a fresh snapshot instead of showing a state that no longer changes.
Real subscribers of a real server's /funicular/api/transfers/events: one that gets a
burst bigger than its queue, one that stops reading altogether."""

import asyncio
import time

import pytest

from funicular.extension import api
from funicular.extension.changes import ChangeStream, Overflowed

from .server import TOKEN, ServerRunner

EVENTS = "/funicular/api/transfers/events"


@pytest.fixture
async def server(tmp_path, monkeypatch):
    runner = ServerRunner(tmp_path, monkeypatch)
    yield await runner.start()
    await runner.stop()


async def test_a_full_queue_drops_the_listener_and_tells_it():
    changes = ChangeStream(maxsize=3)
    slow, quick = changes.listen(), changes.listen()
    for n in range(4):
        changes.publish({"type": "t", "n": n})
        assert (await quick.get(1))["n"] == n
    assert slow.overflowed and not quick.overflowed and changes.listeners == 1
    with pytest.raises(Overflowed):  # at once: the events it still held are stale
        await slow.get(1)
    changes.publish({"type": "t", "n": 4})
    assert (await quick.get(1))["n"] == 4 and await quick.get(0.01) is None


def _event(name: str, data: dict) -> dict:
    return {"type": name, "transfer": data, "time": time.time()}


async def _open(server, path: str = EVENTS):
    """A raw HTTP/1.1 subscriber: the response head, and a reader of the rest."""
    host, port = server.url.rsplit("/", 1)[-1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 16)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: token {TOKEN}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200"), head
    return reader, writer


async def _read_to_end(reader: asyncio.StreamReader, timeout: float) -> bytes:
    """Everything until the server ends the response (the last chunk) or closes."""
    out = b""
    deadline = asyncio.get_running_loop().time() + timeout
    while not out.endswith(b"\r\n0\r\n\r\n"):
        left = deadline - asyncio.get_running_loop().time()
        try:
            data = await asyncio.wait_for(reader.read(1 << 16), max(left, 0.01))
        except TimeoutError:
            raise AssertionError("the stream did not end: " + repr(out[-300:])) from None
        except ConnectionResetError:
            break
        if not data:
            break
        out += data
    return out


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_subscriber_that_falls_behind_gets_the_end_of_its_stream(server):
    service = server.settings["funicular_transfers"]
    service.changes = ChangeStream(maxsize=5)
    reader, writer = await _open(server)
    await _until(lambda: service.changes.listeners == 1)
    try:
        for n in range(6):  # one loop turn: the stream has no chance to read any
            service.changes.publish(_event("transfer", {"id": f"{n:012x}"}))
        body = await _read_to_end(reader, 10)
    finally:
        writer.close()
    assert b"event: snapshot" in body and b"event: overflow" in body
    assert body.endswith(b"\r\n0\r\n\r\n")  # ended, not cut: EventSource reconnects
    assert body.count(b"event: transfer") == 0  # the stale ones were not sent
    assert service.changes.listeners == 0
    # reconnected: a fresh snapshot, and news again
    reader, writer = await _open(server)
    try:
        await _until(lambda: service.changes.listeners == 1)
        service.changes.publish(_event("transfer", {"id": "00000000000a"}))
        seen = b""
        while b"00000000000a" not in seen:
            seen += await asyncio.wait_for(reader.read(1 << 16), 10)
        assert b"event: snapshot" in seen
    finally:
        writer.close()


async def test_a_subscriber_that_stops_reading_is_cut_off(server, monkeypatch):
    monkeypatch.setattr(api, "CUT_AFTER", 0.2, raising=False)
    service = server.settings["funicular_transfers"]
    service.changes = ChangeStream(maxsize=4)
    reader, writer = await _open(server)
    await _until(lambda: service.changes.listeners == 1)
    try:
        # the client reads nothing: the stream is stuck writing an event bigger than
        # every buffer on the way, and its queue fills behind it
        service.changes.publish(_event("transfer", {"id": "0" * 12, "pad": "x" * (64 << 20)}))
        await asyncio.sleep(0.5)
        for n in range(5):
            service.changes.publish(_event("transfer", {"id": f"{n + 1:012x}"}))
        assert service.changes.listeners == 0
        # what the server had sent, then the connection's end: not a stream open for ever
        body = await _read_to_end(reader, 20)
    finally:
        writer.close()
    assert not body.endswith(b"\r\n0\r\n\r\n")  # cut, not ended
