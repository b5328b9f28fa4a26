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

#: Seconds a group gets between SIGTERM and SIGKILL unless the caller says otherwise.
DEFAULT_GRACE_S = 5.0


def _signal_group(pid: int, signum: int) -> bool:
    """Send ``signum`` to group ``pid``; False when the group is gone (or not ours)."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_process_group(pid: int, grace: float = DEFAULT_GRACE_S, *,
                       process: subprocess.Popen | None = None) -> None:
    """SIGTERM process group ``pid``, SIGKILL it if still there after ``grace`` s.

    Args:
        pid: the group leader's pid (a child started with ``start_new_session``).
        grace: seconds to let it end on SIGTERM; 0 sends SIGKILL at once (code that
            must not get a chance to run on, such as a model being scored).
        process: the leader's :class:`subprocess.Popen`, when this process started
            it: it is waited for (reaped), both during the grace and after SIGKILL.
    """
    if grace > 0 and _signal_group(pid, signal.SIGTERM):
        deadline = time.monotonic() + grace
        while True:
            if process is not None:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                    return
                except subprocess.TimeoutExpired:
                    break
            if not _signal_group(pid, 0):
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    if process is not None:
        process.wait()
