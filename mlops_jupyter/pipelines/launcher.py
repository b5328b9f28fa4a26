"""Runs of the Pipelines section: checked here, run as jobs of the persistent job store.

:class:`PipelineLauncher` checks a run request exactly as ``mlops pipeline run`` does
(spec, step names, parameter overrides), then hands the run to a :class:`RunJobs`
— in the Jupyter server the :class:`~mlops_jupyter.scheduling.host.SchedulerHost`,
whose job store keeps scheduled jobs too. Each run is one job process (its own
session and process group) logging to ``<run folder>/server-run.log``; the store
keeps its status across a server restart, and a run whose process vanished is
reconciled INTERRUPTED like a scheduled job. A second concurrent run of the same
pipeline file is refused.

The job store lives a floor up (scheduling); it is injected, never imported here.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import config, names, paths
from ..exceptions import ConflictError, MLOpsError, NotFoundError, UsageError
from ..paths import quote, scrub
from .cache import run_folder
from .contracts import PipelineDetail, PipelineHistory, PipelineRun, RunStarted
from .workspace import Workspace

#: The run's log, in its run folder.
LOG_NAME = "server-run.log"
#: Statuses of status.json after which a run is over (its process may still close down).
FINAL_STATUSES = ("FINISHED", "FAILED")
ENDED_EARLY = "the pipeline process ended early"


@dataclass(frozen=True)
class BackgroundRun:
    """A run of a pipeline file as the job store keeps it.

    Attributes:
        run_id: the run folder's name.
        pipeline: the pipeline file (absolute).
        active: its job is queued or running.
        status: the job's status (QUEUED, RUNNING, SUCCEEDED, FAILED, INTERRUPTED, ...).
        error: the job's error line, if it ended badly.
        started: when it was started (seconds since the epoch).
    """

    run_id: str
    pipeline: Path
    active: bool
    status: str
    error: str | None
    started: float


class RunJobs(Protocol):
    """Where background runs are started and kept (the job store of the server)."""

    def submit_run(self, pipeline: Path, run_id: str, *, parameters: dict[str, Any],
                   options: dict[str, Any], log: Path) -> None:
        """Record the run as a job and start its process.

        Raises:
            MLOpsError: it could not be recorded or started.
        """

    def find_run(self, run_id: str) -> BackgroundRun | None:
        """The run ``run_id``, or None."""

    def runs(self, pipeline: Path | None = None, *,
             active_only: bool = False) -> list[BackgroundRun]:
        """Runs (of ``pipeline``), newest first."""

    def stop_run(self, run_id: str) -> bool:
        """Stop the run's process group; True when it was running."""


class PipelineLauncher:
    """Starts pipeline runs in the background and reports on them by run id.

    Args:
        workspace: the server root the paths of requests are relative to.
        jobs: the job store runs are kept in (see :class:`RunJobs`).
    """

    def __init__(self, workspace: Workspace, jobs: RunJobs):
        self.workspace = workspace
        self.jobs = jobs
        self._lock = threading.Lock()

    def start(self, relative: Any, *, force: bool = False, only: list[str] | None = None,
              from_step: str | None = None,
              params: dict[str, dict[str, Any]] | None = None) -> RunStarted:
        """Start a run of the pipeline file ``relative``; returns the run id to poll.

        The spec, step names and parameter overrides are checked first, so bad input
        is a :class:`UsageError` now rather than a failed run later.

        Raises:
            UsageError: a bad path, spec, step name or override.
            ConflictError: a run of this file is still going on.
            StoreUnavailableError: the job store cannot be used.
        """
        from .overrides import validate_overrides
        from .runner import PipelineRun as Runner
        from .runner import RunOptions

        spec = self.workspace.load(relative)
        only = list(only or [])
        unknown = [name for name in [*only, *filter(None, [from_step])] if name not in spec.steps]
        if unknown:
            raise UsageError(f"unknown step {quote(unknown[0])} "
                             f"(steps: {', '.join(spec.steps)})")
        if only and from_step:
            raise UsageError("give only or from, not both")
        try:
            # Exactly what `mlops pipeline run --param` checks, before anything starts:
            # names and values, then each selected step's notebook (declared names,
            # types), so bad overrides are a 400 now rather than a failed run later.
            overrides = validate_overrides(params or {}, spec)
            Runner(spec, RunOptions(only=only, from_step=from_step,
                                         overrides=overrides)).validate()
        except MLOpsError as exc:
            raise self.workspace.scrub(exc) from None
        # Round-trip through JSON: what the job store keeps is what the run gets.
        parameters = json.loads(json.dumps({f"{step}.{name}": value
                                            for step, values in overrides.items()
                                            for name, value in values.items()}))
        options = {"force": bool(force), "only": only, "from_step": from_step}

        with self._lock:
            active = self.active_run(spec.path)
            if active is not None:
                raise ConflictError(f"pipeline {spec.name!r} is already running (run {active})")
            run_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
            run_dir = run_folder(spec.root, run_id)
            run_dir.mkdir(parents=True, exist_ok=True)
            try:
                self.jobs.submit_run(spec.path, run_id, parameters=parameters,
                                     options=options, log=run_dir / LOG_NAME)
            except OSError as exc:
                shutil.rmtree(run_dir, ignore_errors=True)  # leave no empty run folder
                raise UsageError(f"the run could not start: {exc.strerror or 'error'}") from None
            except MLOpsError as exc:
                shutil.rmtree(run_dir, ignore_errors=True)
                raise self.workspace.scrub(exc) from None
        return RunStarted(run_id=run_id)

    def detail(self, relative: Any) -> PipelineDetail:
        """The DAG of the pipeline file ``relative`` with each step's cache state, its
        last run and the id of the run going on (see :meth:`Workspace.detail`).

        Raises:
            UsageError: a bad path or spec.
            NotFoundError: no such file.
        """
        active = None
        try:
            active = self.active_run(self.workspace.resolve(relative))
        except MLOpsError:
            pass  # Workspace.detail reports the path's problem itself
        return self.workspace.detail(relative, active)

    def history(self, relative: Any, *, offset: int = 0, limit: int = 10) -> PipelineHistory:
        """A page of the past runs of the pipeline file ``relative``, newest first
        (see :func:`~mlops_jupyter.pipelines.history.run_history`).

        Raises:
            UsageError: a bad path or spec.
            NotFoundError: no such file.
        """
        from .history import run_history

        spec = self.workspace.load(relative)
        root, home = self.workspace.root, config.home_dir(create=False)
        return run_history(
            spec.path, spec.experiment, spec.name, offset=offset, limit=limit,
            relative=lambda path: paths.relative_if_inside(root, path) or Path(path).name,
            scrub=lambda text: scrub(text, root, home))

    def active_run(self, pipeline: Path) -> str | None:
        """The id of a run of ``pipeline`` that is still going on."""
        for run in self.jobs.runs(pipeline, active_only=True):
            if not self._ended(run):
                return run.run_id
        return None

    def _ended(self, run: BackgroundRun) -> bool:
        """The run wrote its final status (its process may still be closing down)."""
        status = self.workspace.run_status(run.pipeline, run.run_id)
        return status is not None and status.status in FINAL_STATUSES

    def runs(self, pipeline: Path | None = None) -> list[BackgroundRun]:
        """Every run kept in the job store (of ``pipeline``), newest first."""
        return self.jobs.runs(pipeline)

    def status(self, relative: Any, run_id: str) -> PipelineRun:
        """The run's status.json (paths relative to the server root).

        Before the runner wrote one the status is PENDING; when its job ended without
        a final status (the run was refused, stopped, or interrupted) it is FAILED
        with the reason.

        Raises:
            NotFoundError: no such run of that pipeline.
        """
        if not names.is_run_id(run_id):
            raise NotFoundError("no such pipeline run")
        run = self.jobs.find_run(run_id)
        if relative in (None, "") and run is not None:
            pipeline = run.pipeline
        else:
            pipeline = self.workspace.resolve(relative, what="pipeline path")
        status = self.workspace.run_status(pipeline, run_id)
        if status is not None:
            if run is not None and not run.active and status.status in ("PENDING", "RUNNING"):
                # The process ended before it could write its final status.
                return status.model_copy(update={"status": "FAILED",
                                                 "error": self._failure(run)})
            return status
        if run is None or run.pipeline != pipeline:
            raise NotFoundError(f"no run {run_id} of this pipeline")
        short = PipelineRun(run_id=run_id, file=self.workspace.relative(pipeline), steps=[],
                            started=run.started, ended=None, status="PENDING")
        if run.active:
            return short
        return short.model_copy(update={"status": "FAILED", "error": self._failure(run)})

    def _failure(self, run: BackgroundRun) -> str:
        """Why a run ended early: its job's error, else the last line it printed."""
        line = run.error
        if not line:
            log = run_folder(run.pipeline.parent, run.run_id) / LOG_NAME
            try:
                lines = [text for text in log.read_text(errors="replace").splitlines()
                         if text.strip()]
            except OSError:
                lines = []
            line = lines[-1].strip().removeprefix("mlops: error: ") if lines else None
        if not line:
            return ENDED_EARLY
        return scrub(line, self.workspace.root, config.home_dir(create=False))[:500]

    def stop(self, run_id: str) -> bool:
        """Stop a run (its whole process group); True when it was running."""
        return self.jobs.stop_run(run_id)

    def stop_all(self) -> None:
        """Stop every run that is still going on."""
        for run in self.jobs.runs(active_only=True):
            self.stop(run.run_id)
