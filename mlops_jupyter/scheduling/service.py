"""The scheduler service: fires due schedules on time, exactly once, truthfully.

* It sleeps until the next due tick (or at most ``poll_interval``, to see schedules
  other processes added), so a job starts within milliseconds of its time and an
  idle scheduler costs next to nothing.
* Firing claims the tick in the job store (unique per schedule and tick), so two
  schedulers on one store never start the same tick twice.
* Each job runs in its own process group (``job_process``); the scheduler records
  its pid, watches it, and records a crash if it ends without an outcome. A tick
  that comes while the schedule's previous job still runs is recorded SKIPPED.
* On start, jobs of schedulers that are gone become INTERRUPTED, and ticks missed
  while no scheduler ran follow each schedule's policy: ``skip`` records one
  SKIPPED job saying how many were missed; ``catch_up_once`` runs the latest one now.

Runs inside the Jupyter server (server extension) or alone: ``mlops scheduler``.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import config
from ..exceptions import UsageError
from ..processes import stop_process_group
from . import cron
from .store import (
    ACTIVE,
    FAILED,
    INTERRUPTED,
    SIDEBAR,
    SKIPPED,
    STALE_AFTER_S,
    JobStore,
    utcnow,
)

log = logging.getLogger("mlops_jupyter.scheduler")

#: A tick seen later than this after its time counts as missed (no scheduler ran).
LATE_AFTER = timedelta(seconds=60)
CANCEL_GRACE_S = 5.0
#: Missed ticks counted at most (the latest is found directly).
MISSED_LIMIT = 1000


def _aware(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def cancel_job(store: JobStore, job_id: int) -> dict[str, Any]:
    """Stop a queued or running job (its kernels included) and mark it INTERRUPTED.

    Raises:
        UsageError: the job already ended, or runs on another host.
    """
    job = store.job(job_id)
    if job["status"] not in ACTIVE:
        raise UsageError(f"job {job_id} already ended ({job['status']}); nothing to cancel")
    if job["pid"] and job["host"] not in (None, socket.gethostname()):
        raise UsageError(f"job {job_id} runs on {job['host']}; cancel it there")
    store.finish_job(job_id, INTERRUPTED, error="cancelled by the user")
    if job["pid"]:
        stop_process_group(job["pid"], grace=CANCEL_GRACE_S)
    return store.job(job_id)


class Scheduler:
    """Fires schedules from one job store; start() it, stop() it.

    Args:
        store: the job store (default: :func:`mlops_jupyter.config.job_db_url`).
        poll_interval: seconds between looks at the store when nothing is due.
        retention: how long ended jobs are kept; ``None`` keeps them.
        fire: fire due schedules. ``False`` (a Jupyter server whose scheduler is
            disabled) only runs, watches and reconciles the jobs :meth:`launch` starts,
            e.g. the runs of the Pipelines section.
    """

    def __init__(self, store: JobStore | None = None, *, poll_interval: float = 2.0,
                 retention: timedelta | None = timedelta(days=30), fire: bool = True):
        self.store = store or JobStore()
        self.fire = fire
        self.poll_interval = poll_interval
        self.retention = retention
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._children: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()
        self._last_heartbeat = 0.0
        self._last_reconcile = time.monotonic()  # start() reconciles once itself
        self._last_prune = 0.0

    # ------------------------------------------------------------- lifecycle
    def start(self) -> Scheduler:
        self.store.register_scheduler(self.id)
        for job in self.store.interrupt_orphans(alive={self.id}):
            log.warning("mlops scheduler: job %s (%s) was left %s by a stopped scheduler; "
                        "marked INTERRUPTED", job["id"], job["schedule"], "running")
        self._thread = threading.Thread(target=self._loop, name="mlops-scheduler", daemon=True)
        self._thread.start()
        log.info("mlops scheduler %s started on %s", self.id, self.store.url.split("://")[0])
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop firing; running jobs are stopped and marked INTERRUPTED."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            children = dict(self._children)
        for job_id, process in children.items():
            self.store.finish_job(job_id, INTERRUPTED,
                                  error="interrupted: the scheduler was stopped")
            stop_process_group(process.pid, grace=2.0)
        self.store.unregister_scheduler(self.id)

    def wake(self) -> None:
        """Look at the schedules again now (after a local change)."""
        self._wake.set()

    def serve_forever(self) -> None:
        """``mlops scheduler``: run until SIGTERM or Ctrl-C."""
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.start()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            self.stop()

    # ------------------------------------------------------------------ loop
    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = self.tick()
            except Exception as exc:  # noqa: BLE001 - a locked store must not kill us
                log.warning("mlops scheduler: %s; retrying", exc)
                delay = self.poll_interval
            self._wake.wait(max(0.0, delay))
            self._wake.clear()

    def tick(self, now: datetime | None = None) -> float:
        """Fire what is due at ``now``; returns seconds until something may be due."""
        now = now or utcnow()
        self._housekeeping()
        soonest = self.poll_interval
        if not self.fire:
            return soonest
        for schedule in self.store.schedules(enabled_only=True):
            try:
                self._fire_due(schedule, now)
                (upcoming,) = cron.next_times(schedule["cron"], schedule["timezone"], 1,
                                              after=utcnow())
                soonest = min(soonest, (upcoming - utcnow()).total_seconds())
            except UsageError as exc:  # e.g. the time zone database changed
                log.warning("mlops scheduler: schedule %s: %s", schedule["name"], exc)
        return soonest

    def _fire_due(self, schedule: dict[str, Any], now: datetime) -> None:
        last = _aware(schedule["last_tick"]) or now
        expression, tz = schedule["cron"], schedule["timezone"]
        # Ticks older than LATE_AFTER were missed (no scheduler ran); only they can be
        # many (a week down = 10,000 minutes), so they are counted up to a bound and
        # the latest found directly instead of walking all of them.
        boundary = max(last, now - LATE_AFTER)
        recent = cron.ticks_between(expression, tz, boundary, now)
        missed_count, missed_latest = 0, None
        if last < boundary:
            older = cron.ticks_between(expression, tz, last, boundary, limit=MISSED_LIMIT)
            missed_count = len(older)
            if missed_count == MISSED_LIMIT:
                # croniter works in whole seconds: look back from just after the boundary.
                missed_latest = cron.previous_time(expression, tz, boundary + timedelta(seconds=1))
                if missed_latest is None or missed_latest > boundary:
                    missed_latest = cron.previous_time(expression, tz, boundary) or older[-1]
            elif older:
                missed_latest = older[-1]
        due = [*([missed_latest] if missed_latest else []), *recent]
        if not due:
            return
        # Claim first, advance after: a crash in between leaves the tick due again,
        # and its claim (unique per schedule and tick) keeps it exactly-once.
        try:
            self._handle_ticks(schedule, now, due, recent, missed_latest, missed_count)
        finally:
            self.store.advance(schedule["id"], _aware(schedule["last_tick"]), due[-1])

    def _handle_ticks(self, schedule: dict[str, Any], now: datetime, due: list[datetime],
                      recent: list[datetime], missed_latest: datetime | None,
                      missed_count: int) -> None:
        if missed_latest is not None and schedule["missed"] == "skip":
            count = f"{missed_count}" if missed_count < MISSED_LIMIT else f"over {MISSED_LIMIT}"
            job = self.store.claim_tick(schedule, missed_latest, self.id, trigger="missed")
            if job is not None:
                self.store.finish_job(job["id"], SKIPPED, error=(
                    f"{count} tick(s) missed while no scheduler ran; policy skip"))
            log.warning("mlops scheduler: %s missed %s tick(s); skipped", schedule["name"],
                        count)
            due = recent
            if not due:
                return
        for overdue in recent[:-1]:  # the loop came late (busy store, loaded machine)
            job = self.store.claim_tick(schedule, overdue, self.id, trigger="cron")
            if job is not None:
                self.store.finish_job(job["id"], SKIPPED, error=(
                    f"overdue by {(now - overdue).total_seconds():.1f} s when the scheduler "
                    f"got to it; the latest tick ({recent[-1].isoformat()}) ran instead"))
        trigger = "catch-up" if now - due[-1] > LATE_AFTER else "cron"
        running = self.store.active_job(schedule["id"])
        if running is not None:  # never two runs of one schedule writing the same files
            job = self.store.claim_tick(schedule, due[-1], self.id, trigger=trigger)
            if job is not None:
                self.store.finish_job(job["id"], SKIPPED, error=(
                    f"job {running['id']} of this schedule was still {running['status']}"))
            return
        if trigger == "catch-up":
            log.warning("mlops scheduler: %s missed %s tick(s); catching up once",
                        schedule["name"], missed_count if missed_count < MISSED_LIMIT
                        else f"over {MISSED_LIMIT}")
        job = self.store.claim_tick(schedule, due[-1], self.id, trigger=trigger)
        if job is not None:
            self.launch(job)

    def run_now(self, name: str) -> dict[str, Any]:
        """Start a job of schedule ``name`` now ("Run now")."""
        schedule = self.store.schedule(name)
        job = self.store.create_job(schedule, "manual", self.id)
        return self.launch(job)

    # ------------------------------------------------------------------ jobs
    def launch(self, job: dict[str, Any], log: Path | None = None) -> dict[str, Any]:
        """Start ``job`` in its own process group and watch it.

        Args:
            job: a QUEUED job of this store.
            log: where its output goes (default: ``<home>/logs/job-ID.log``).
        """
        if not Path(job["target"]).is_file():
            return self.store.finish_job(job["id"], FAILED,
                                         error="the target file no longer exists")
        if log is None:
            log = config.home_dir() / "logs" / f"job-{job['id']}.log"
            log.parent.mkdir(exist_ok=True)
            shown = f"logs/{log.name}"
        else:
            shown = log.name
        # The home this process uses, even when it came from a default, not the environment.
        env = {**os.environ, config.HOME_ENV: str(config.home_dir()), "PYTHONUNBUFFERED": "1"}
        with open(log, "ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "mlops_jupyter.scheduling.job_process", str(job["id"]),
                 "--store", self.store.url],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=str(Path(job["target"]).parent), env=env)
        started = self.store.start_job(job["id"], pid=process.pid, host=socket.gethostname(),
                                       scheduler_id=self.id)
        if started is None:  # cancelled between its claim and now
            stop_process_group(process.pid, grace=1.0)
            return self.store.job(job["id"])
        with self._lock:
            self._children[job["id"]] = process
        threading.Thread(target=self._watch, args=(job["id"], process, shown), daemon=True,
                         name=f"mlops-job-{job['id']}").start()
        return started

    def _watch(self, job_id: int, process: subprocess.Popen, log_name: str) -> None:
        code = process.wait()
        with self._lock:
            self._children.pop(job_id, None)
        if self._stopping.is_set():
            return
        # The job process records its own outcome; this only catches a crash.
        self.store.finish_job(job_id, FAILED, error=(
            f"the job process exited with code {code} before recording an outcome "
            f"(see {log_name})"))

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= 5.0:
            self.store.heartbeat(self.id)
            self._last_heartbeat = now
        if self._thread is not None and now - self._last_reconcile >= STALE_AFTER_S:
            # Another scheduler on this store may have crashed since we started.
            self._last_reconcile = now
            for job in self.store.interrupt_orphans(alive={self.id}):
                log.warning("mlops scheduler: job %s was left by a stopped scheduler; "
                            "marked INTERRUPTED", job["id"])
        if self.retention is not None and now - self._last_prune >= 3600:
            self._last_prune = now
            for job in self.store.prune(self.retention):
                # A Pipelines-section run's folder holds the pipeline's cache and
                # history, like a run from the CLI: it stays.
                if job.get("run_dir") and job["trigger"] != SIDEBAR:
                    shutil.rmtree(job["run_dir"], ignore_errors=True)
