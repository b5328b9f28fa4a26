"""Tracking sessions announce themselves: one small JSON file per kernel.

A kernel that tracks (``%mlops track``) keeps ``<home>/sessions/<pid>.json``:

``{"pid", "session_key", "experiment", "notebook", "journal", "queued", "updated_at"}``

written when the session starts and again (at most once a second, atomically
replaced) whenever the writer's journal thread handles a batch of events, and
removed when the session stops. ``journal`` names the kernel's spool journal, so a
reader computes what is still pending, the run id and the last store error from the
journal's own files (:mod:`.spool`) instead of trusting a stale copy. Nothing here
ever raises into a cell: every write is best effort.

The status service (:mod:`mlops_jupyter.activity.status`) lists the files whose
process is still alive.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from .. import config
from ..processes import pid_alive

#: At most one write per this many seconds (the final state is always written).
MIN_INTERVAL_S = 1.0
FOLDER = "sessions"


def sessions_dir(create: bool = False) -> Path:
    """``<home>/sessions``."""
    folder = config.home_dir(create=create) / FOLDER
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


class Heartbeat:
    """The heartbeat file of this process's tracking session."""

    def __init__(self, info: dict[str, Any]):
        self.path = sessions_dir(create=True) / f"{os.getpid()}.json"
        self._info = dict(info, pid=os.getpid())
        self._last = 0.0
        self._lock = threading.Lock()
        self._stopped = False

    def beat(self, force: bool = False, **changes: Any) -> None:
        """Update the file (throttled to one write per :data:`MIN_INTERVAL_S` unless
        ``force``); never raises."""
        try:
            with self._lock:
                self._info.update(changes)
                now = time.monotonic()
                if self._stopped or (not force and now - self._last < MIN_INTERVAL_S):
                    return
                self._last = now
                self._info["updated_at"] = int(time.time() * 1000)
                temporary = self.path.with_name(f".{self.path.name}.tmp")
                temporary.write_text(json.dumps(self._info, default=str), encoding="utf-8")
                os.replace(temporary, self.path)
        except Exception:  # noqa: BLE001, S110 - a status display must never break a cell
            pass

    def remove(self) -> None:
        """Delete the file (the session ended); never raises."""
        with self._lock:
            self._stopped = True
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                pass


def live_sessions() -> list[dict[str, Any]]:
    """The heartbeat records of sessions whose process is alive (files of dead
    processes are left for :func:`prune` — a reader never deletes)."""
    folder = sessions_dir()
    found = []
    try:
        files = sorted(folder.glob("*.json"))
    except OSError:
        return []
    for file in files[:200]:
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            pid = int(record.get("pid") or file.stem)
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if isinstance(record, dict) and pid_alive(pid):
            found.append(record)
    return found
