"""Stopping the process groups we start (pipeline runs, scheduled jobs, scoring).

Every child that runs user code is started with ``start_new_session=True``, so it
leads a process group of its own and stopping it stops what it started too
(kernels, the model's own workers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any


def pid_alive(pid: Any) -> bool:
    """Whether process ``pid`` exists and is not a zombie (another user's process
    counts as alive)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


#: Seconds a group gets between SIGTERM and SIGKILL unless the caller says otherwise.
DEFAULT_GRACE_S = 5.0


def _signal_group(pid: int, signum: int) -> bool:
    """Send ``signum`` to group ``pid``; False when the group is gone (or not ours)."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _term(pid: int, group: bool) -> bool:
    if group:
        return _signal_group(pid, signal.SIGTERM)
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_process_group(pid: int, grace: float = DEFAULT_GRACE_S, *,
                       process: subprocess.Popen | None = None,
                       term_group: bool = True) -> None:
    """SIGTERM process group ``pid``, SIGKILL it if still there after ``grace`` s.

    Args:
        pid: the group leader's pid (a child started with ``start_new_session``).
        grace: seconds to let it end on SIGTERM; 0 sends SIGKILL at once (code that
            must not get a chance to run on, such as a model being scored).
        process: the leader's :class:`subprocess.Popen`, when this process started
            it: it is waited for (reaped), both during the grace and after SIGKILL.
        term_group: SIGTERM the whole group (default), or only the leader — for a
            supervisor that stops its own children on SIGTERM (the scheduler).

    Whatever of the group outlives its leader is SIGKILLed: nothing lingers.
    """
    running = process is None or process.poll() is None
    if grace > 0 and running and _term(pid, term_group):
        if process is not None:
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        else:
            deadline = time.monotonic() + grace
            while _signal_group(pid, 0) and time.monotonic() < deadline:
                time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    if process is not None:
        process.wait()
