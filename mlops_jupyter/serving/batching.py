"""Micro-batching: concurrent requests for one variant become one ``predict`` call.

Requests queue per variant. One consumer task per variant takes what is queued (up to
``max_batch`` rows, waiting at most ``max_wait_ms`` for more), groups requests with
the same model object and the same columns/dtypes, predicts each group in a worker
thread (the event loop keeps accepting requests meanwhile; they form the next
batch) and hands each request its own rows of the result.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import models, protocol

LOG = logging.getLogger("mlops_jupyter.serving")


@dataclass
class Item:
    """One request waiting for its predictions."""

    loaded: models.Loaded
    data: protocol.Columns | protocol.Raw
    future: asyncio.Future


class Batcher:
    """The queue and consumer task of one variant."""

    def __init__(self, max_batch: int, max_wait_ms: float,
                 observe: Callable[[int], None] | None = None):
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.observe = observe
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        """Start the consumer on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the consumer (pending requests are answered with an error)."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 - stopping
                pass
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if not item.future.done():
                item.future.set_exception(RuntimeError("the endpoint is stopping"))

    async def predict(self, loaded: models.Loaded, data) -> list:
        """This request's ``(predictions, input frame)`` (raises what the model raised)."""
        future = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(Item(loaded, data, future))
        return await future

    def _drain(self, items: list[Item], rows: int) -> int:
        while rows < self.max_batch:
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            items.append(item)
            rows += item.data.rows
        return rows

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self.queue.get()
            items = [first]
            rows = self._drain(items, first.data.rows)
            if rows < self.max_batch and self.max_wait > 0:
                # Let requests already read by the loop join; wait longer only when
                # there is concurrency (a lone request is not delayed).
                await asyncio.sleep(0)
                rows = self._drain(items, rows)
                if len(items) > 1 and rows < self.max_batch:
                    await asyncio.sleep(self.max_wait)
                    rows = self._drain(items, rows)
            groups: dict[Any, list[Item]] = defaultdict(list)
            for item in items:
                key = (id(item.loaded), item.data.key()) \
                    if isinstance(item.data, protocol.Columns) else id(item)
                groups[key].append(item)
            for group in groups.values():
                if self.observe is not None:
                    self.observe(sum(item.data.rows for item in group))
                try:
                    results = await loop.run_in_executor(None, _predict_group, group)
                except Exception as exc:  # noqa: BLE001 - every request gets the error
                    for item in group:
                        if not item.future.done():
                            item.future.set_exception(exc)
                    continue
                for item, result in zip(group, results):
                    if item.future.done():
                        continue
                    if isinstance(result, Exception):
                        item.future.set_exception(result)
                    else:
                        item.future.set_result(result)


def _predict_group(group: list[Item]) -> list[Any]:
    """Predictions per request of one group; when the batch fails, each request is
    retried alone so one bad request fails only itself (its entry is the exception)."""
    try:
        return _predict_together(group)
    except Exception as exc:  # noqa: BLE001
        if len(group) == 1:
            return [exc]
    out: list[Any] = []
    for item in group:
        try:
            out.extend(_predict_together([item]))
        except Exception as exc:  # noqa: BLE001
            out.append(exc)
    return out


def _predict_together(group: list[Item]) -> list[tuple[list, Any]]:
    loaded = group[0].loaded
    if isinstance(group[0].data, protocol.Raw):
        data = group[0].data.data
        return [(protocol.jsonable(loaded.predict(data)), data)]
    frame = models.to_frame([item.data for item in group])
    sizes = [item.data.rows for item in group]
    results = protocol.split(loaded.predict(frame), sizes)
    return list(zip(results, models.slices(frame, sizes)))
