"""A kernel's tracking state: the session run, the cell being run, what to log.

This module knows nothing of IPython: the magics pass it cell sources, execution
counts, the user namespace and the cell's exception. Everything it does on the
cell's thread is cheap bookkeeping; the store is only touched by the writer.
"""

from __future__ import annotations

import atexit
import math
import numbers
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config, names
from ..exceptions import UsageError
from . import capture, operations
from .heartbeat import Heartbeat
from .writer import Writer, WriterStatus

SOURCE_TAG_LIMIT = 5000
# Set by the pipeline runner for a step's kernel: log_metric() lands on the step's run.
ATTACHED_RUN_ENV = "MLOPS_RUN_KEY"
ATTACHED_EXPERIMENT_ENV = "MLOPS_EXPERIMENT"
STEP_JOURNAL_ENV = "MLOPS_STEP_JOURNAL"


@dataclass
class CellRun:
    """A tracked cell execution in progress."""

    key: str
    source: str
    execution_count: int | None
    code: str | None = None  # the source as Python, with magics translated
    started: float = field(default_factory=time.perf_counter)
    steps: dict[str, int] = field(default_factory=dict)


@dataclass
class Status:
    """What ``%mlops status`` shows."""

    tracking_uri: str
    experiment: str | None
    session_run_id: str | None
    session_pending: bool
    tracked_cells: int
    writer: WriterStatus | None


def _new_key() -> str:
    return uuid.uuid4().hex


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class TrackingSession:
    """Tracking for one kernel: ``%mlops track`` sessions and ``%%mlops track`` cells."""

    def __init__(self):
        self._writer: Writer | None = None
        self._exit_hook = False
        self._attached_steps: dict[str, int] = {}
        self._pipeline_synced = False
        self._lock = threading.Lock()
        self.experiment: str | None = None
        self.notebook: Path | None = None
        self.session_key: str | None = None
        self.cell: CellRun | None = None
        self.tracked_cells = 0
        self._heartbeat: Heartbeat | None = None

    # ------------------------------------------------------------------ writer
    @property
    def writer(self) -> Writer:
        with self._lock:
            if self._writer is None:
                config.spool_dir()  # fail now, with a clear line, if home is unusable
                step_journal = os.environ.get(STEP_JOURNAL_ENV)
                if step_journal:  # a pipeline step: the runner forwards our journal
                    Path(step_journal).mkdir(parents=True, exist_ok=True)
                    self._writer = Writer(spool_dir=Path(step_journal), spawn_flusher=False)
                else:
                    self._writer = Writer()
                if not self._exit_hook:
                    atexit.register(self.shutdown)
                    self._exit_hook = True
            return self._writer

    @property
    def active(self) -> bool:
        """True between ``%mlops track`` and ``%mlops stop``."""
        return self.session_key is not None

    # ---------------------------------------------------------------- sessions
    def start(self, experiment: str | None, notebook: Path | None) -> str:
        """Start a session run; every following cell becomes one of its children.

        Returns:
            The experiment name used.

        Raises:
            UsageError: already tracking, or an experiment name MLflow would reject.
            ConfigurationError: the home directory is unusable.
        """
        if self.active:
            raise UsageError(f"already tracking into experiment {self.experiment!r}; "
                             "run %mlops stop first")
        name = names.check_experiment_name(experiment or capture.default_experiment(notebook))
        writer = self.writer
        self.experiment, self.notebook = name, notebook
        self.session_key = _new_key()
        self._session_steps: dict[str, int] = {}
        self.tracked_cells = 0
        tags = {"mlops.kind": "session", **self._source_tags()}
        writer.submit(operations.start_run(
            self.session_key, name, name=f"session {time.strftime('%Y-%m-%d %H:%M')}",
            parent=None, tags=tags, collect=("git", "environment")))
        self._start_heartbeat(writer)
        return name

    def _start_heartbeat(self, writer: Writer) -> None:
        """Announce this session in ``<home>/sessions`` (see :mod:`.heartbeat`);
        refreshed from the writer's journal thread, never from the cell's."""
        try:
            heartbeat = Heartbeat({
                "session_key": self.session_key, "experiment": self.experiment,
                "notebook": self.notebook.name if self.notebook else None,
                "journal": writer.journal.base.name, "queued": 0})
        except Exception:  # noqa: BLE001 - a status display must never break tracking
            return
        self._heartbeat = heartbeat
        writer.on_batch = lambda w: heartbeat.beat(queued=w._queue.qsize())
        heartbeat.beat(force=True)

    def _stop_heartbeat(self) -> None:
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            if self._writer is not None:
                self._writer.on_batch = None
            heartbeat.remove()

    def stop(self, reason: str = "stopped") -> int:
        """End the session run (snapshotting the notebook); returns cells tracked."""
        if not self.active:
            raise UsageError("nothing is being tracked (start with %mlops track)")
        if self.cell is not None:  # %mlops stop inside a tracked cell ends that cell too
            self.end_cell(self.cell, {}, None)
        self.snapshot()
        self.writer.submit(operations.log(self.session_key, tags={
            "mlops.session.cells": str(self.tracked_cells), "mlops.session.ended_by": reason}))
        self.writer.submit(operations.end_run(self.session_key, "FINISHED"))
        count = self.tracked_cells
        self.session_key = None
        self.experiment = None
        self._stop_heartbeat()
        return count

    def snapshot(self) -> Path | None:
        """Queue a copy of the notebook file as an artifact of the session run."""
        if not self.active or self.notebook is None or not self.notebook.is_file():
            return None
        folder = config.spool_dir() / "files" / _new_key()
        folder.mkdir(parents=True)
        copy = folder / self.notebook.name
        shutil.copyfile(self.notebook, copy)
        self.writer.submit(operations.artifact_file(self.session_key, copy, "notebook"))
        return self.notebook

    # ------------------------------------------------------------------- cells
    def begin_cell(self, source: str, execution_count: int | None, *, code: str | None = None,
                   name: str | None = None, experiment: str | None = None,
                   notebook: Path | None = None) -> CellRun:
        """Open a run for a cell about to execute.

        ``source`` is what the user wrote; ``code`` the same as plain Python (IPython
        syntax translated), used to find the names the cell assigns. Inside a session the run is the session run's child, unless ``experiment``
        names another experiment; outside a session it stands alone.
        """
        if experiment is not None:
            experiment = names.check_experiment_name(experiment)
        if self.notebook is None:
            self.notebook = notebook
        parent = self.session_key if experiment in (None, self.experiment) else None
        target = experiment or self.experiment or capture.default_experiment(notebook)
        cell = CellRun(_new_key(), source, execution_count, code)
        label = f"[{execution_count}]" if execution_count is not None else ""
        tags = {"mlops.kind": "cell", "mlops.cell.source": source[:SOURCE_TAG_LIMIT],
                **self._source_tags()}
        if execution_count is not None:
            tags["mlops.cell.execution_count"] = str(execution_count)
        self.writer.submit(operations.start_run(
            cell.key, target, name=name or f"cell {label}".strip(), parent=parent, tags=tags,
            collect=("git", "environment")))
        self.cell = cell
        return cell

    def end_cell(self, cell: CellRun, namespace: dict[str, Any],
                 error: BaseException | None) -> None:
        """Record what the cell assigned and how it ended, then close its run."""
        duration = time.perf_counter() - cell.started
        if self.cell is cell:
            self.cell = None
        params: dict[str, str] = {}
        tags = {"mlops.cell.duration_s": f"{duration:.6f}"}
        fingerprints = {}
        for name in capture.assigned_names(cell.code or cell.source):
            if name not in namespace:
                continue
            value = namespace[name]
            if capture.is_param_value(value):
                params[name] = capture.param_text(value)
            elif capture.is_data(value):
                fingerprints[name] = capture.fingerprint(value)
        for name, print_ in fingerprints.items():
            tags[f"mlops.data.{name}"] = _compact_json(print_)
        status = "FINISHED"
        if error is not None:
            status = "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED"
            tags["mlops.error.type"] = type(error).__name__
            tags["mlops.error.message"] = str(error)[:1000]
        submit = self.writer.submit
        submit(operations.log(cell.key, params=params, tags=tags))
        submit(operations.artifact_text(cell.key, "cell/source.py", cell.source))
        if fingerprints:
            submit(operations.artifact_text(cell.key, "cell/data_fingerprints.json",
                                            _compact_json(fingerprints, indent=2)))
        submit(operations.end_run(cell.key, status))
        self.tracked_cells += 1

    # ----------------------------------------------------------------- logging
    def log(self, values: dict[str, Any], *, numeric_only: bool = False,
            as_params: bool = False) -> dict[str, str]:
        """Log values: numbers as metrics, anything else as params.

        They go on the run of the cell being executed; between cells of a session
        (a cell holding only ``%mlops`` lines) on the session run.

        Returns:
            name → "metric" or "param", for the confirmation line.

        Raises:
            UsageError: a bad name, a non-number where a number is required, or
                nothing is being tracked.
        """
        for key in values:
            names.check_tracked_key(key)
        if numeric_only:
            for key, value in values.items():
                if not _is_number(value):
                    raise UsageError(f"metric {key!r} must be a number, got "
                                     f"{type(value).__name__}")
        key, steps, experiment = self._log_target()
        metrics: dict[str, list[tuple[float, int, int]]] = {}
        params: dict[str, str] = {}
        kinds = {}
        stamp = operations.now_ms()
        for name, value in values.items():
            if as_params or not _is_number(value):
                params[name] = capture.param_text(value)
                kinds[name] = "param"
                continue
            number = float(value)
            if math.isinf(number):
                raise UsageError(f"metric {name!r} is infinite")
            steps[name] = steps.get(name, -1) + 1
            metrics[name] = [(number, stamp, steps[name])]
            kinds[name] = "metric"
        self.writer.submit(operations.log(key, params=params, metrics=metrics,
                                          experiment=experiment))
        return kinds

    def _log_target(self) -> tuple[str, dict[str, int], str | None]:
        """(run key, metric step counters, experiment to find a foreign run in)."""
        if self.cell is not None:
            return self.cell.key, self.cell.steps, None
        if self.active:
            return self.session_key, self._session_steps, None
        attached = os.environ.get(ATTACHED_RUN_ENV)
        if attached and os.environ.get(ATTACHED_EXPERIMENT_ENV):
            # A pipeline step: the runner opened this kernel's run in its own process.
            return attached, self._attached_steps, os.environ[ATTACHED_EXPERIMENT_ENV]
        raise UsageError("no tracked run: start with %mlops track or use %%mlops track")

    def current_run_id(self, timeout: float = 30.0) -> str | None:
        """The MLflow run id of the run ``log()`` would write to, once it exists.

        Waits (up to ``timeout`` s) for the writer to create it; None when nothing
        is tracked. Used by ``%mlops register``, which must log into a real run.

        Raises:
            StoreUnavailableError: the run is not in the store after ``timeout``.
        """
        from ..exceptions import StoreUnavailableError

        try:
            key, _steps, experiment = self._log_target()
        except UsageError:
            return None
        if experiment is None:  # our own run: the writer knows its id once written
            self.flush(timeout)
            run_id = self.writer.run_id(key)
        else:  # a pipeline step: the runner's process created it
            run_id = _find_run_by_key(key, experiment, timeout)
        if run_id is None:
            status = self.status().writer
            reason = status.last_error if status and status.last_error else "store busy"
            raise StoreUnavailableError(f"the tracked run is not in the store yet ({reason})")
        return run_id

    def await_pipeline_writes(self, timeout: float = 30.0) -> None:
        """In a pipeline step: wait until the runner's writes reached the store.

        The runner journals the models' gates before the step's run, and its
        flusher applies events in order, so once the step's run exists the gates
        do too. Outside a pipeline step this returns at once.

        Raises:
            StoreUnavailableError: the step's run is not in the store after ``timeout``.
        """
        from ..exceptions import StoreUnavailableError

        key = os.environ.get(ATTACHED_RUN_ENV)
        experiment = os.environ.get(ATTACHED_EXPERIMENT_ENV)
        if not key or not experiment or self._pipeline_synced:
            return
        if _find_run_by_key(key, experiment, timeout) is None:
            raise StoreUnavailableError("the pipeline's records are not in the store yet "
                                        "(store busy)")
        self._pipeline_synced = True

    # ------------------------------------------------------------------ status
    def status(self) -> Status:
        writer = self._writer
        run_id = writer.run_id(self.session_key) if writer and self.session_key else None
        return Status(tracking_uri=writer.uri if writer else config.tracking_uri(),
                      experiment=self.experiment, session_run_id=run_id,
                      session_pending=self.active and run_id is None,
                      tracked_cells=self.tracked_cells,
                      writer=writer.status() if writer else None)

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for every queued event to be written."""
        return self._writer.flush(timeout) if self._writer else True

    def shutdown(self) -> None:
        """At kernel exit: end the session, then write or spool everything."""
        if self.active:
            self.stop(reason="kernel-shutdown")
        self._stop_heartbeat()
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close(timeout=2.0)

    def _source_tags(self) -> dict[str, str]:
        if self.notebook is None:
            return {"mlflow.source.type": "NOTEBOOK"}
        return {"mlops.notebook": str(self.notebook), "mlflow.source.name": str(self.notebook),
                "mlflow.source.type": "NOTEBOOK"}


def _compact_json(value: Any, indent: int | None = None) -> str:
    import json

    return json.dumps(value, indent=indent, separators=None if indent else (",", ":"),
                      default=str)


def _find_run_by_key(key: str, experiment: str, timeout: float) -> str | None:
    """Wait up to ``timeout`` s for the run of ``key`` (written by another process)."""
    from . import store

    deadline = time.monotonic() + timeout
    while True:
        found = store.client().get_experiment_by_name(experiment)
        if found is not None:
            run_id = operations.find_run_by_key(store.client(), found.experiment_id, key)
            if run_id:
                return run_id
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


_session: TrackingSession | None = None


def current_session() -> TrackingSession:
    """This process's tracking session (created on first use)."""
    global _session
    if _session is None:
        _session = TrackingSession()
    return _session
