"""The inference log: every answered request, appended off the request path to Parquet.

::

    <url>/predictions/model=<name>/date=YYYY-MM-DD/hour=HH/part-<pid>-<epoch ms>-<seq>.parquet
    <url>/feedback/model=<name>/date=YYYY-MM-DD/hour=HH/part-<pid>-<epoch ms>-<seq>.parquet

``<url>`` is any URL fsspec understands (a local folder, ``memory://``, ``s3://``...),
by default :func:`mlops_jupyter.config.inference_log_url`. Prediction files hold one
row per input row (:data:`PREDICTION_COLUMNS`, then the features as ``input.<column>``);
feedback files hold :data:`FEEDBACK_COLUMNS` (``row`` null = every row of the request).

The request path only puts the record object on a bounded queue (:meth:`InferenceLog.append`
never blocks and never raises; a full queue drops and counts). One daemon thread expands
records to rows and writes one file per hour partition every ``flush_interval`` seconds
and at :meth:`InferenceLog.close`: a graceful stop loses nothing, a crash (kill -9) loses
at most what was queued since the last flush (plus the flush being written). Files are
written under a hidden temporary name (``.part-….parquet.tmp``, ignored by readers) and
renamed, so readers never see half a file. Each process merges its own small files of a
partition: every :data:`MERGE_EVERY` files, when the hour changes and at close; readers
de-duplicate on ``(request_id, row, variant)``, so a crash between the merged file's
rename and the parts' removal double-counts nothing.

Several worker processes may write the same log (file names carry the pid); create the
log in each worker after it starts (the writer is a thread, it does not survive a fork).

Cost: the writer's CPU is :attr:`InferenceLog.busy_s` (~20 ms per 1000 single-row
requests whose input frames are one numeric block; ``to_numpy`` of a frame built
column by column costs ~40 us more each). Queued records keep their frames alive for up
to ``flush_interval``, which makes Python's full garbage collections (~100-250 ms over
an MLflow-sized heap) frequent: a serving process should ``gc.collect(); gc.freeze()``
once its model is loaded.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as dt
import hashlib
import itertools
import logging
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from .. import config, names
from ..exceptions import ConfigurationError
from .rows import (  # noqa: F401 - the column names are part of this module's interface
    FEEDBACK_COLUMNS,
    INPUT_PREFIX,
    PREDICTION_COLUMNS,
    REQUEST_ID_MAX,
    check_feedback,
    feedback_table,
    prediction_table,
)

log = logging.getLogger(__name__)

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
#: Names of finished data files; anything else (temporary files) is ignored by readers.
DATA_FILE = re.compile(r"^part-[0-9]+-[0-9]+-[0-9]+\.parquet$")
#: A partition's small files are merged into one when this process has written this many.
MERGE_EVERY = 60
#: Logs not closed yet: closed at interpreter exit, so a normal exit loses nothing.
_OPEN: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_open_logs() -> None:
    for journal in list(_OPEN):
        journal.close()


@dataclass(frozen=True)
class RequestRecord:
    """One ``/invocations`` request as answered by one variant.

    Attributes:
        request_id: the ``X-Request-Id`` of the request.
        timestamp: when it was answered (epoch seconds).
        model, alias, version, variant: what answered (variant: ``champion``,
            ``challenger`` or ``shadow``; version None when no model was loaded).
        latency_ms, status, error: how it went (error: one line, None on success).
        inputs: the parsed input rows (None when the body could not be parsed).
        predictions: one entry per input row (None on error).
    """

    request_id: str
    timestamp: float
    model: str
    alias: str
    version: str | None
    variant: str
    latency_ms: float
    status: int
    error: str | None
    inputs: Any = None
    predictions: list | None = None


@dataclass(frozen=True)
class _Feedback:
    request_id: str
    label: Any
    row: int | None
    timestamp: float


def model_partition(model: str) -> str:
    """The ``model=<name>`` folder of ``model``: the name itself when it is a valid
    model name (names.MODEL_NAME), else ``_`` + a digest, which no valid name starts
    with and which cannot climb out of the log's root."""
    if names.is_model_name(model):
        return f"model={model}"
    return "model=_" + hashlib.sha256(str(model).encode("utf-8", "replace")).hexdigest()[:32]


def hour_partition(timestamp: float) -> tuple[str, str]:
    """The ``(date=YYYY-MM-DD, hour=HH)`` folder names of an epoch timestamp (UTC)."""
    moment = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)
    return f"date={moment:%Y-%m-%d}", f"hour={moment:%H}"


def open_root(url: str | None):
    """``(filesystem, root path)`` of an inference log URL (default: the home's)."""
    import fsspec.core

    try:
        return fsspec.core.url_to_fs(url or config.inference_log_url())
    except (ImportError, ValueError, TypeError) as exc:  # unknown protocol, missing driver
        raise ConfigurationError(f"cannot open the inference log URL: {exc}") from None


class InferenceLog:
    """Appends request records and feedback labels of one model to the inference log.

    Args:
        model: the registered model's name (its partition, see :func:`model_partition`).
        url: the log's root URL; default :func:`mlops_jupyter.config.inference_log_url`.
        flush_interval: seconds between writes (what a crash can lose at most).
        max_queue: records held before :meth:`append` starts dropping.

    Attributes:
        dropped: records and labels refused because the queue was full or closed.
        rejected: feedback labels refused as invalid.
        written: records and labels written to files.
        failed: records and labels lost to write errors (logged).
        busy_s: CPU seconds of the writer thread (expanding, writing, merging); only
            :meth:`close` and :meth:`flush` called from other threads are not counted.
    """

    def __init__(self, model: str, *, url: str | None = None, flush_interval: float = 1.0,
                 max_queue: int = 100_000):
        self.model = model
        self.url = url or config.inference_log_url()
        self.flush_interval = max(0.01, float(flush_interval))
        self.max_queue = max(1, int(max_queue))
        self.dropped = 0
        self.rejected = 0
        self.written = 0
        self.busy_s = 0.0
        self.failed = 0
        self._fs, self._root = open_root(self.url)
        self._root = self._root.rstrip("/")
        self._queue: collections.deque = collections.deque()
        self._count_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._closed = False
        self._sequence = itertools.count()
        self._mine: dict[tuple[str, str, str], list[str]] = {}  # (kind, date, hour) -> files
        self._hour = hour_partition(time.time())
        self._write_lock = threading.Lock()
        _OPEN.add(self)
        self._thread = threading.Thread(target=self._run, name="inference-log", daemon=True)
        self._thread.start()

    # --- request path -------------------------------------------------------------------

    def append(self, record: RequestRecord) -> bool:
        """Queue ``record`` for writing: O(1), never blocks, never raises.

        Returns:
            False (and counts it in :attr:`dropped`) when the queue is full or closed.
        """
        return self._put(record)

    def add_feedback(self, request_id: str, label, row: int | None = None) -> bool:
        """Queue a ground-truth ``label`` for ``request_id`` (``row`` None: every row).

        Never blocks or raises; False when the queue is full (counted in :attr:`dropped`)
        or the label is invalid (counted in :attr:`rejected`; :func:`check_feedback`
        gives the reason).
        """
        try:
            request_id, label, row = check_feedback(request_id, label, row)
        except Exception:  # noqa: BLE001 - invalid label: refused, counted, never raised
            with self._count_lock:
                self.rejected += 1
            return False
        return self._put(_Feedback(request_id, label, row, time.time()))

    def _put(self, item) -> bool:
        try:
            if self._closed or len(self._queue) >= self.max_queue:
                return self._drop()
            self._queue.append(item)
            return True
        except Exception:  # noqa: BLE001 - never let logging break a request
            return self._drop()

    def _drop(self) -> bool:
        with self._count_lock:
            self.dropped += 1
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Write everything queued, merge this process's files, stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():  # an append that raced with close: count it
            late = len(self._drain())
            with self._count_lock:
                self.dropped += late
        _OPEN.discard(self)

    # --- writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:  # import now, in the background, not at the first flush under traffic
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            log.warning("inference log: pyarrow is not installed: nothing will be written")
        while not self._stopping:
            self._wake.wait(self.flush_interval)
            self._step(final=self._stopping)
        self._step(final=True)

    def _step(self, final: bool) -> None:
        started = time.thread_time()
        try:
            with self._write_lock:
                self._flush()
                hour = hour_partition(time.time())
                self._compact(everything=final, hour_changed=hour != self._hour)
                self._hour = hour
        except Exception:
            log.exception("inference log: writing failed")
        finally:
            self.busy_s += time.thread_time() - started

    def _drain(self) -> list:
        items = []
        pop = self._queue.popleft
        try:
            while True:
                items.append(pop())
        except IndexError:
            pass
        return items

    def flush(self) -> None:
        """Write what is queued now, in the caller's thread (tests, :func:`write_records`)."""
        with self._write_lock:
            self._flush()

    def _flush(self) -> None:
        items = self._drain()
        if not items:
            return
        groups: dict[tuple[str, str, str], list] = {}
        hours: dict[int, tuple[str, str]] = {}  # one datetime formatting per hour, not per item
        for item in items:
            kind = FEEDBACK if isinstance(item, _Feedback) else PREDICTIONS
            try:
                hour_number = int(item.timestamp // 3600)
                hour = hours.get(hour_number)
                if hour is None:
                    hour = hours[hour_number] = hour_partition(hour_number * 3600)
            except (TypeError, ValueError, OverflowError, OSError):
                self.failed += 1  # no usable timestamp
                continue
            groups.setdefault((kind, *hour), []).append(item)
        for key, group in groups.items():
            try:
                table = (feedback_table(group) if key[0] == FEEDBACK
                         else prediction_table(group))
                self._mine.setdefault(key, []).append(self._write(key, table))
                self.written += len(group)
            except Exception as exc:  # noqa: BLE001 - a failed write must not stop the writer
                self.failed += len(group)
                log.warning("inference log: %d records lost: %s", len(group), exc)

    def _folder(self, key: tuple[str, str, str]) -> str:
        kind, date, hour = key
        return f"{self._root}/{kind}/{model_partition(self.model)}/{date}/{hour}"

    def _write(self, key: tuple[str, str, str], table, compression: str = "snappy") -> str:
        import pyarrow.parquet as pq

        folder = self._folder(key)
        name = f"part-{os.getpid()}-{int(time.time() * 1000)}-{next(self._sequence)}.parquet"
        final, temporary = f"{folder}/{name}", f"{folder}/.{name}.tmp"
        self._fs.makedirs(folder, exist_ok=True)
        try:
            with self._fs.open(temporary, "wb") as stream:
                pq.write_table(table, stream, compression=compression)
            self._fs.mv(temporary, final)
        except BaseException:
            with contextlib.suppress(Exception):
                self._fs.rm(temporary)
            raise
        return final

    def _compact(self, everything: bool, hour_changed: bool = False) -> None:
        """Merge this process's small files: of a partition once it has
        :data:`MERGE_EVERY` of them, of past hours when the hour changes, of every
        partition at close. Merged files are not merged again (no rewriting a growing
        file): a busy hour ends with about ``3600 / flush_interval / MERGE_EVERY`` files
        per process."""
        now = hour_partition(time.time())
        for key in list(self._mine):
            past = key[1:] != now
            if not (everything or (hour_changed and past) or len(self._mine[key]) >= MERGE_EVERY):
                continue
            parts = self._mine.pop(key)
            if len(parts) > 1:
                self._merge(key, parts)

    def _merge(self, key: tuple[str, str, str], parts: list[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            tables = []
            for part in parts:
                with self._fs.open(part, "rb") as stream:
                    tables.append(pq.read_table(stream))
            self._write(key, pa.concat_tables(tables, promote_options="permissive"),
                        compression="zstd")  # merged files are kept: compress them harder
        except Exception as exc:  # noqa: BLE001 - the parts stay: readers see the same rows
            log.warning("inference log: merging %d files failed: %s", len(parts), exc)
            return
        for part in parts:  # a crash here leaves parts that readers de-duplicate
            try:
                self._fs.rm(part)
            except Exception as exc:  # noqa: BLE001 - readers de-duplicate a left-over part
                log.debug("inference log: could not remove a merged part: %s", exc)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- helpers for tests and tools ----------------------------------------------------------


def write_records(model: str, records, *, url: str | None = None,
                  feedback=()) -> int:
    """Write request records (and feedback) synchronously: traffic without a server.

    Args:
        model: the model the records belong to.
        records: :class:`RequestRecord` objects (timestamps decide their hour folders).
        url: the log's root URL (default: the home's inference log).
        feedback: ``(request_id, label)`` or ``(request_id, label, row)`` tuples,
            timestamped now.

    Returns:
        The number of records and labels written.
    """
    records, feedback = list(records), list(feedback)
    journal = InferenceLog(model, url=url, flush_interval=3600,
                           max_queue=len(records) + len(feedback) + 1)
    for record in records:
        journal.append(record)
    for entry in feedback:
        journal.add_feedback(*entry)
    journal.close()
    return journal.written
