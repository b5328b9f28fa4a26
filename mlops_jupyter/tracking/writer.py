"""The kernel's side of tracking output: queue → journal → flusher process.

Cells hand events to :meth:`Writer.submit` (a queue put: microseconds). A daemon
thread appends them to the kernel's journal on disk and wakes the flusher process,
which applies them to the store (see :mod:`.flusher`). Nothing here imports MLflow
or talks to the store, so a cell never waits for it, even when it is down.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config
from .spool import Journal

_STOP = object()
_RESTART_INTERVAL_S = 5.0


@dataclass
class WriterStatus:
    """A snapshot of the writer for ``%mlops status``."""

    tracking_uri: str
    queued: int
    spooled: int
    written: int
    rejected: int
    last_error: str | None
    retry_in_s: float | None


class Writer:
    """Journals events on a background thread and keeps a flusher process running."""

    def __init__(self, uri: str | None = None, spool_dir: Path | None = None,
                 spawn_flusher: bool = True):
        """Args:
            uri: tracking store (default: config).
            spool_dir: where the journal goes (default: the home's spool).
            spawn_flusher: False to only journal, for a process whose journal another
                process forwards (a pipeline step's kernel; see pipelines.runner).
        """
        self.spawn_flusher = spawn_flusher
        self.uri = uri or config.tracking_uri()
        self.spool_dir = spool_dir or config.spool_dir()
        self.journal = Journal.create(self.spool_dir)
        self._queue: queue.Queue = queue.Queue()
        self._flusher: subprocess.Popen | None = None
        self._flusher_started = 0.0
        self._bindings: dict[str, str] = {}
        self._closed = False
        #: Called on the journal thread after each batch (the session's heartbeat);
        #: its errors are ignored, so a status display never stops the journal.
        self.on_batch: Callable[[Writer], None] | None = None
        self._thread = threading.Thread(target=self._run, name="mlops-tracking-journal",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ public
    def submit(self, event: dict[str, Any]) -> None:
        """Queue an event; never blocks and never raises."""
        self._queue.put(event)

    def run_id(self, key: str) -> str | None:
        """The MLflow run id of event key ``key``, once the store created it."""
        if key not in self._bindings:
            self._bindings = self.journal.bindings()
        return self._bindings.get(key)

    def status(self) -> WriterStatus:
        state = self.journal.state()
        spooled = max(0, self.journal.appended - self.journal.acknowledged())
        retry_in = None
        if state.get("last_error") and state.get("retry_at"):
            retry_in = max(0.0, state["retry_at"] - time.time())
        return WriterStatus(self.uri, self._queue.qsize(), spooled, state.get("written", 0),
                            state.get("rejected", 0), state.get("last_error"), retry_in)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s until every submitted event reached the store."""
        deadline = time.monotonic() + timeout
        self._queue.put(None)  # make sure the flusher is awake and retries now
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0 and \
                    self.journal.acknowledged() >= self.journal.appended:
                return True
            time.sleep(0.02)
        return False

    def close(self, timeout: float = 2.0) -> bool:
        """Journal what is queued (waiting up to ``timeout`` s), then let go.

        Nothing waits for the store: the flusher outlives the kernel for a grace
        period and writes the rest, or a later flusher replays it. Returns True when
        everything had already been written.
        """
        if self._closed:
            return True
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        complete = not self._thread.is_alive() and \
            self.journal.acknowledged() >= self.journal.appended
        if self._flusher is not None and self._flusher.stdin is not None:
            try:
                self._flusher.stdin.close()  # EOF: "the kernel is gone"
            except OSError:
                pass
        self.journal.close()
        return complete

    # ------------------------------------------------------------------ thread
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch = [item]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = False
            for event in batch:
                if event is _STOP:
                    stop = True
                elif event is not None:
                    self.journal.append(event)
            self._wake_flusher()
            for _ in batch:
                self._queue.task_done()
            self._notify()
            if stop:
                return

    def _notify(self) -> None:
        hook = self.on_batch
        if hook is None:
            return
        try:
            hook(self)
        except Exception:  # noqa: BLE001, S110 - never let a status hook stop the journal
            pass

    def _wake_flusher(self) -> None:
        if not self.spawn_flusher:
            return
        flusher = self._flusher
        if flusher is None or flusher.poll() is not None:
            if time.monotonic() - self._flusher_started < _RESTART_INTERVAL_S and flusher:
                return  # it died just now; don't spin, the next event retries
            flusher = self._start_flusher()
        try:
            flusher.stdin.write(b"\n")
            flusher.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # restarted on the next wake

    def _start_flusher(self) -> subprocess.Popen:
        package_parent = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [package_parent, *filter(None, [env.get("PYTHONPATH")])])
        logs = config.home_dir() / "logs"
        logs.mkdir(exist_ok=True)
        with open(logs / "flusher.log", "ab") as log_file:
            self._flusher = subprocess.Popen(
                [sys.executable, "-m", "mlops_jupyter.tracking.flusher",
                 "--journal", str(self.journal.base), "--uri", self.uri],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log_file,
                # Inheriting the locked handle keeps the journal ours while it runs.
                pass_fds=(self.journal.lock_handle.fileno(),),
                start_new_session=True, env=env, close_fds=True)
        self._flusher_started = time.monotonic()
        return self._flusher
