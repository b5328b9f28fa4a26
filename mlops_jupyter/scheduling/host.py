"""The job store of a Jupyter server and the scheduler it runs: no tornado in here.

:class:`SchedulerHost` owns the server's job store and, unless disabled, the
:class:`~mlops_jupyter.scheduling.service.Scheduler` firing schedules inside the
Jupyter server. It starts in a thread of its own (opening the store and reconciling
crashed jobs is database work that must not hold up the server's event loop); a
store that cannot be opened is logged and reported by every request as 503, it
never stops the server.

It is also where the Pipelines section's runs live (it implements
:class:`~mlops_jupyter.pipelines.launcher.RunJobs`): each run is a job of the same
store, started and watched by the same scheduler as a scheduled job — or, with the
scheduler disabled, by one that fires nothing and only runs jobs started here — so
a run's status survives a server restart and a run whose server died is reconciled
INTERRUPTED.

"Run now" of a schedule needs this server's firing scheduler. With
``MLOpsExtensionApp.scheduler_enabled = False`` it answers 409 and says so, rather
than starting a job nobody watches.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..exceptions import ConflictError, MLOpsError, StoreUnavailableError
from ..pipelines.launcher import BackgroundRun
from .contracts import SchedulerState

log = logging.getLogger("mlops_jupyter.scheduler")

#: How long "Run now" waits for a scheduler that is still starting.
START_WAIT_S = 15.0


class SchedulerHost:
    """The job store of a Jupyter server and the scheduler it runs (if enabled).

    Args:
        store_url: SQLAlchemy URL of the job store; ``None`` or ``""`` for
            :func:`mlops_jupyter.config.job_db_url`.
        enabled: fire schedules in this process (jobs started here, such as the
            Pipelines section's runs, are run and watched either way).
        poll_interval: seconds between looks at the store when nothing is due.
        retention: how long ended jobs (and their run folders) are kept; ``None``
            keeps them forever.
    """

    def __init__(self, store_url: str | None = None, *, enabled: bool = True,
                 poll_interval: float = 2.0, retention: timedelta | None = timedelta(days=30)):
        self.store_url = store_url or None
        self.enabled = enabled
        self.poll_interval = poll_interval
        self.retention = retention
        self.scheduler = None
        self.error: str | None = None
        self._store = None
        # With the scheduler disabled: the one that only runs jobs started here.
        self._runner = None
        self._lock = threading.Lock()
        self._started = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def start_in_background(self) -> None:
        """Open the store and start the scheduler in a thread; returns at once."""
        if not self.enabled:
            self._started.set()
            return
        self._thread = threading.Thread(target=self._start, name="mlops-scheduler-start",
                                        daemon=True)
        self._thread.start()

    def _start(self) -> None:
        from .service import Scheduler

        try:
            with self._lock:
                if self._stopped:
                    return
                scheduler = Scheduler(self._open_store(), poll_interval=self.poll_interval,
                                      retention=self.retention)
                scheduler.start()
                self.scheduler = scheduler
                self.error = None
            log.info("mlops scheduler running in the Jupyter server (%s)", scheduler.id)
        except MLOpsError as exc:
            self.error = exc.message
            log.error("mlops scheduler not started: %s", exc.message)
        except Exception as exc:
            self.error = f"the scheduler could not start ({type(exc).__name__})"
            log.exception("mlops scheduler not started")
        finally:
            self._started.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the scheduler (its running jobs become INTERRUPTED) and close the store."""
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self._stopped = True
            scheduler, self.scheduler = self.scheduler, None
            runner, self._runner = self._runner, None
            store, self._store = self._store, None
        for stopping in filter(None, (scheduler, runner)):
            try:
                stopping.stop(timeout)
            except Exception:
                log.exception("mlops scheduler did not stop cleanly")
            log.info("mlops scheduler %s stopped", stopping.id)
        if store is not None:
            store.close()

    # ------------------------------------------------------------------ store
    def _open_store(self):
        from .store import JobStore

        if self._store is None:
            self._store = JobStore(self.store_url)
        return self._store

    @property
    def store(self):
        """The job store, opened on first use (call from a worker thread).

        Raises:
            StoreUnavailableError: it cannot be opened.
        """
        if self._store is not None:
            return self._store
        with self._lock:
            if self._stopped:
                raise StoreUnavailableError("the server is shutting down")
            return self._open_store()

    def running_scheduler(self):
        """This server's scheduler, waiting a little while it starts.

        Raises:
            ConflictError: the scheduler is disabled in this server.
            StoreUnavailableError: it could not start (the store is unavailable).
        """
        if not self.enabled:
            raise ConflictError(
                "the scheduler is disabled in this Jupyter server "
                "(MLOpsExtensionApp.scheduler_enabled = False); enable it, or run the job "
                "from a machine running `mlops scheduler`")
        self._started.wait(START_WAIT_S)
        if self.scheduler is None:
            raise StoreUnavailableError(
                f"the scheduler is not running: {self.error or 'it is still starting'}")
        return self.scheduler

    def status(self) -> SchedulerState:
        """For clients: is a scheduler firing schedules in this server?"""
        return SchedulerState(enabled=self.enabled, running=self.scheduler is not None,
                              error=self.error if self.enabled else None,
                              poll_interval=self.poll_interval)

    def wake(self) -> None:
        """Make the scheduler look at the schedules now (after a change made here)."""
        if self.scheduler is not None:
            self.scheduler.wake()

    def job_runner(self):
        """The scheduler that starts and watches this server's jobs.

        The firing scheduler when enabled; otherwise one started on first use that
        fires nothing (its jobs are still watched, heartbeated and reconciled).

        Raises:
            StoreUnavailableError: the store cannot be used, or the server stops.
        """
        if self.enabled:
            return self.running_scheduler()
        from .service import Scheduler

        with self._lock:
            if self._stopped:
                raise StoreUnavailableError("the server is shutting down")
            if self._runner is None:
                runner = Scheduler(self._open_store(), poll_interval=self.poll_interval,
                                   retention=None, fire=False)
                self._runner = runner.start()
            return self._runner

    # ------------------------------------------- runs of the Pipelines section
    def submit_run(self, pipeline: Path, run_id: str, *, parameters: dict[str, Any],
                   options: dict[str, Any], log: Path) -> None:
        """Record a run of ``pipeline`` as a job and start its job process.

        Raises:
            StoreUnavailableError: the store cannot be used.
        """
        from .store import FAILED

        runner = self.job_runner()
        job = runner.store.create_run_job(str(pipeline), run_id, parameters=parameters,
                                          options=options, scheduler_id=runner.id,
                                          run_dir=str(log.parent))
        try:
            runner.launch(job, log=log)
        except OSError as exc:  # no log file, no process: the job ends here, truthfully
            runner.store.finish_job(job["id"], FAILED,
                                    error=f"the run could not start: {exc.strerror or 'error'}")
            raise

    def find_run(self, run_id: str) -> BackgroundRun | None:
        """The run ``run_id`` of the Pipelines section, or None."""
        self._reconcile()
        job = self.store.run_job(run_id)
        return _background_run(job) if job is not None else None

    def runs(self, pipeline: Path | None = None, *,
             active_only: bool = False) -> list[BackgroundRun]:
        """Runs of the Pipelines section (of ``pipeline``), newest first."""
        self._reconcile()
        jobs = self.store.run_jobs(str(pipeline) if pipeline is not None else None,
                                   active_only=active_only)
        return [_background_run(job) for job in jobs]

    def stop_run(self, run_id: str) -> bool:
        """Stop a run's process group (it becomes INTERRUPTED); True when it ran."""
        from .service import cancel_job
        from .store import ACTIVE

        job = self.store.run_job(run_id)
        if job is None or job["status"] not in ACTIVE:
            return False
        try:
            cancel_job(self.store, job["id"])
        except MLOpsError:
            return False  # it ended meanwhile, or runs on another host
        return True

    def _reconcile(self) -> None:
        """Jobs left running by a server that is gone are INTERRUPTED before they are
        shown (after a restart, before this server's scheduler looked)."""
        if self._runner is None and self.scheduler is None:
            self.store.interrupt_orphans()


def _background_run(job: dict[str, Any]) -> BackgroundRun:
    from .store import ACTIVE

    return BackgroundRun(run_id=job["run_id"], pipeline=Path(job["target"]),
                         active=job["status"] in ACTIVE, status=job["status"],
                         error=job["error"],
                         started=datetime.fromisoformat(job["created"]).timestamp())
