"""Helpers for the scheduling tests: real ``mlops scheduler`` processes and the
processes a job leaves behind.

* :func:`start_scheduler` / :func:`stop_scheduler` — ``mlops scheduler`` in its own
  process group, stopped (then killed) by its own pid.
* :func:`job_tree` — pids of a job process and all its descendants (kernels too).
* :func:`alive` — the pids of a set that still run (zombies count as gone).
* :func:`wait_job` — poll a job record until a condition holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from mlops_jupyter.processes import stop_process_group
from tests.magics.helpers import REPO_ROOT, kernel_env, wait_for


def start_scheduler(home: Path, *args: str, log_name: str = "scheduler") -> subprocess.Popen:
    """``mlops scheduler ARGS`` for ``home`` (its output in ``home/<log_name>.log``)."""
    log = open(home / f"{log_name}.log", "ab")  # noqa: SIM115 - closed with the process
    # The store the test uses (mlops_home sets MLFLOW_TRACKING_URI to a team store).
    env = kernel_env(home, tracking_uri=os.environ.get("MLFLOW_TRACKING_URI"))
    env.pop("MLOPS_JOB_DB_URL", None)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "mlops_jupyter.cli", "scheduler", *args],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def stop_scheduler(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the scheduler (it stops its jobs), SIGKILL its group if it lingers."""
    stop_process_group(process.pid, timeout, process=process, term_group=False)


def job_tree(pid: int) -> set[int]:
    """``pid`` and its descendants (step workers, kernels)."""
    try:
        parent = psutil.Process(pid)
        return {pid, *(child.pid for child in parent.children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def command_lines(pids: set[int]) -> list[str]:
    found = []
    for pid in pids:
        try:
            found.append(" ".join(psutil.Process(pid).cmdline()))
        except psutil.Error:
            pass
    return found


def alive(pids: set[int]) -> set[int]:
    """The pids of ``pids`` that still run (zombies are gone for this purpose)."""
    running = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.add(pid)
        except psutil.NoSuchProcess:
            pass
    return running


def kill_all(pids: set[int]) -> None:
    """Cleanup of whatever a failed test left running."""
    for pid in alive(pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_job(store, condition: Callable[[list[dict[str, Any]]], Any], timeout: float,
             message: str) -> Any:
    """Poll ``store.jobs()`` (oldest first) until ``condition(jobs)`` is truthy."""
    return wait_for(lambda: condition(list(reversed(store.jobs(limit=1000)))), timeout,
                    message, interval=0.1)


def when(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def scheduler_log(home: Path, name: str = "scheduler") -> str:
    path = home / f"{name}.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""
