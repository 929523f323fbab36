"""A service's change stream: the queues of its listeners (server-sent event streams).

Touched on the server's event loop only. A listener whose queue is full has fallen
behind (a stuck browser tab, a client that stopped reading, a burst bigger than the
queue): it is dropped so that it cannot hold the service up, and marked overflowed so
that its stream ends. A dropped listener must not go on quietly with keepalives: its
client would show a state that no longer changes. Ended, the client reconnects, and
the new stream's snapshot is the state it missed.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass


class Overflowed(Exception):
    """The listener fell behind and was dropped: end its stream."""


_OVERFLOW = object()  # the last item a dropped listener reads


@dataclass(eq=False)
class Listener:
    """One stream's queue of events; ``overflowed`` once it was dropped.
    ``on_overflow`` is called (on the loop) at the moment it is dropped: a stream
    stuck writing to a client that does not read will not read the queue again."""

    queue: asyncio.Queue
    overflowed: bool = False
    on_overflow: Callable[[], None] | None = None

    async def get(self, timeout: float | None = None) -> dict | None:
        """The next event; None after ``timeout`` quiet seconds; Overflowed if dropped."""
        try:
            event = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        if event is _OVERFLOW:
            raise Overflowed("this stream fell behind the changes")
        return event

    def get_nowait(self) -> dict:
        """The next queued event (asyncio.QueueEmpty if none); Overflowed if dropped."""
        event = self.queue.get_nowait()
        if event is _OVERFLOW:
            raise Overflowed("this stream fell behind the changes")
        return event

    def empty(self) -> bool:
        return self.queue.empty()


class ChangeStream:
    def __init__(self, maxsize: int = 1000):
        self._listeners: set[Listener] = set()
        self._maxsize = maxsize

    def listen(self) -> Listener:
        listener = Listener(asyncio.Queue(maxsize=self._maxsize))
        self._listeners.add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, event: dict) -> None:
        for listener in list(self._listeners):
            try:
                listener.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(listener)

    def _drop(self, listener: Listener) -> None:
        """Its queued events are stale now: what it reads next is the end."""
        self._listeners.discard(listener)
        listener.overflowed = True
        while not listener.queue.empty():
            listener.queue.get_nowait()
        listener.queue.put_nowait(_OVERFLOW)
        if listener.on_overflow is not None:
            listener.on_overflow()
