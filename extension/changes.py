"""A service's change stream: the queues of its listeners (server-sent event streams).

Touched on the server's event loop only. A listener that stops reading is dropped
when its queue is full, so one stuck browser tab cannot hold the service up.
"""

import asyncio


class ChangeStream:
    def __init__(self, maxsize: int = 1000):
        self._queues: set[asyncio.Queue] = set()
        self._maxsize = maxsize

    def listen(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(maxsize=self._maxsize)
        self._queues.add(q)
        return q

    def unlisten(self, q: asyncio.Queue) -> None:
        self._queues.discard(q)

    def publish(self, event: dict) -> None:
        for q in list(self._queues):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                self._queues.discard(q)
