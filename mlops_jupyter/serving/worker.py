"""One worker process of an endpoint: its models, batchers, counters and log.

:class:`Worker` is built by the app's startup (it loads every variant's model,
starts the alias follower, the batchers and the stats writer) and torn down by its
shutdown (the inference log is closed, i.e. flushed, and the state file removed).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any

from . import endpoints, metrics
from .batching import Batcher
from .models import Follower, Slot, load
from .settings import Settings

LOG = logging.getLogger("mlops_jupyter.serving")
RING = int(endpoints.WINDOW_S)


class Window:
    """Requests, errors and latency buckets of one variant over the last minute
    (one counter set per second, in a ring)."""

    def __init__(self):
        self.seconds = [-1] * RING
        self.requests = [0] * RING
        self.errors = [0] * RING
        self.buckets = [[0] * len(endpoints.LATENCY_BUCKETS_MS) for _ in range(RING)]

    def add(self, latency_ms: float, error: bool, now: float) -> None:
        """Count one request."""
        second = int(now)
        slot = second % RING
        if self.seconds[slot] != second:
            self.seconds[slot] = second
            self.requests[slot] = self.errors[slot] = 0
            self.buckets[slot] = [0] * len(endpoints.LATENCY_BUCKETS_MS)
        self.requests[slot] += 1
        self.errors[slot] += bool(error)
        self.buckets[slot][endpoints.bucket_index(latency_ms)] += 1

    def summary(self, now: float) -> dict[str, Any]:
        """``{requests, errors, latency_buckets}`` of the last :data:`RING` seconds."""
        low = int(now) - RING
        live = [i for i in range(RING) if self.seconds[i] > low]
        counts = [sum(self.buckets[i][b] for i in live)
                  for b in range(len(endpoints.LATENCY_BUCKETS_MS))]
        return {"requests": sum(self.requests[i] for i in live),
                "errors": sum(self.errors[i] for i in live), "latency_buckets": counts}


class Worker:
    """Everything one worker process serves with."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.pid = os.getpid()
        self.random = random.Random(settings.seed)
        self.slots: dict[str, Slot] = {}
        for role, alias in settings.roles().items():
            self.slots[role] = Slot(role, alias, self._initial(alias))
            current = self.slots[role].current
            metrics.set_model(settings.model, alias, role, current.version)
        self.follower = Follower(self.slots, settings.poll_interval, self._swapped)
        self.batchers = {role: Batcher(settings.max_batch, settings.max_wait_ms,
                                       metrics.BATCH_ROWS.observe) for role in self.slots}
        self.windows = {role: Window() for role in self.slots}
        self.log = self._open_log()
        self._logged = (0, 0)
        self._stop = threading.Event()
        self._stats = threading.Thread(target=self._stats_loop, name="mlops-worker-stats",
                                       daemon=True)

    def _initial(self, alias: str):
        from ..registry import common

        version = str(common.resolve_reference(self.settings.model, alias).version)
        return load(self.settings.model, alias, version)

    def _open_log(self):
        if not self.settings.log:
            return None
        from ..inference.log import InferenceLog

        return InferenceLog(self.settings.model, url=self.settings.resolved_log_url(),
                            flush_interval=self.settings.flush_interval)

    async def start(self) -> None:
        """Start the batchers (on the running loop), the follower and the stats writer."""
        for batcher in self.batchers.values():
            batcher.start()
        self.follower.start()
        self._stats.start()
        self.write_state()

    async def stop(self) -> None:
        """Stop everything; the inference log is flushed and the state file removed."""
        self.follower.stop()
        for batcher in self.batchers.values():
            await batcher.stop()
        self._stop.set()
        self._stats.join(timeout=5)
        if self.log is not None:
            self.log.close()
            self._count_log()
        if self.settings.endpoint_id:
            endpoints.remove_worker(self.settings.endpoint_id, self.pid)
        metrics.worker_exited(self.pid)

    def route(self) -> str:
        """The role answering a new request (A/B split)."""
        if "challenger" in self.slots and self.random.random() < self.settings.split:
            return "challenger"
        return "champion"

    def record(self, role: str, version: str | None, status: int, latency_ms: float,
               predictions: list | None) -> None:
        """Count one request answered by ``role`` (metrics and the window)."""
        now = time.time()
        self.windows[role].add(latency_ms, status >= 400, now)
        metrics.observe_request(self.settings.model, version, role, status,
                                latency_ms / 1000.0, predictions)

    def _swapped(self, entry: dict[str, Any]) -> None:
        metrics.SWAPS.labels(self.settings.model, entry["alias"], entry["outcome"]).inc()
        if entry["outcome"] == "switched":
            metrics.set_model(self.settings.model, entry["alias"], entry["role"],
                              entry["to_version"], entry["from_version"])
        self.write_state()

    def state(self) -> dict[str, Any]:
        """This worker's state file content (see :func:`endpoints.write_worker`)."""
        now = time.time()
        return {"updated": now, "window_s": endpoints.WINDOW_S,
                "versions": {role: {"alias": slot.alias, "version": slot.current.version,
                                    "since": slot.current.since}
                             for role, slot in self.slots.items()},
                "swaps": list(self.follower.swaps), "last_error": self.follower.last_error,
                "variants": {role: window.summary(now)
                             for role, window in self.windows.items()}}

    def write_state(self) -> None:
        """Rewrite this worker's state file (when the endpoint has an id)."""
        if not self.settings.endpoint_id:
            return
        try:
            endpoints.write_worker(self.settings.endpoint_id, self.pid, self.state())
        except Exception as exc:  # noqa: BLE001 - stats must not stop serving
            LOG.warning("mlops serve: cannot write the worker state: %s", exc)

    def _count_log(self) -> None:
        written, dropped = int(self.log.written), int(self.log.dropped)
        old_written, old_dropped = self._logged
        if written > old_written:
            metrics.LOG_WRITTEN.inc(written - old_written)
        if dropped > old_dropped:
            metrics.LOG_DROPPED.inc(dropped - old_dropped)
        self._logged = (written, dropped)

    def _stats_loop(self) -> None:
        while not self._stop.wait(endpoints.STATS_INTERVAL_S):
            self.write_state()
            if self.log is not None:
                self._count_log()
