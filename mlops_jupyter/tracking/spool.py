"""The on-disk spool: an append-only journal of tracking events per kernel.

The kernel appends every event to its journal; a flusher process applies them to
the store and acknowledges each one. So a store that is down, a locked database or
a killed kernel loses nothing, and the journal doubles as the queue between the
two processes. A journal ``<id>`` is a few files:

* ``<id>.lock``   — ``flock``-ed by the kernel and inherited by its flusher, so it
  stays locked while either lives; once both are gone any flusher may adopt the
  journal and replay what was not acknowledged, in order.
* ``<id>.events`` — one JSON event per line, each with a sequence number ``seq``
  (written by the kernel only).
* ``<id>.acks``   — one acknowledged ``seq`` per line (flusher only).
* ``<id>.runs``   — ``{"key": ..., "run_id": ...}`` lines: which MLflow run an event
  key became, so replayed events find their run (flusher only).
* ``<id>.state``  — the flusher's last error and counters, for status displays.

Writes are flushed to the OS: they survive a killed process, not a power cut.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import names

SUFFIXES = (".events", ".acks", ".runs", ".state")


def read_lines(path: Path, offset: int = 0) -> tuple[list[str], int]:
    """Complete lines of ``path`` from byte ``offset``; returns them and the new offset.

    A torn final line (a process killed mid-write) is left for the next read.
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    if end == 0:
        return [], offset
    lines = data[:end].decode("utf-8", errors="replace").splitlines()
    return lines, offset + end


def parse_events(lines: list[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


class Journal:
    """The kernel's side of a journal: create, append, count acknowledgements."""

    def __init__(self, base: Path, lock_handle):
        self.base = base
        self.lock_handle = lock_handle
        self._mutex = threading.Lock()
        self._events = open(base.with_suffix(".events"), "a", encoding="utf-8")  # noqa: SIM115 - held for the journal's life
        self.appended = 0

    @classmethod
    def create(cls, spool_dir: Path) -> Journal:
        """A fresh journal locked by this process."""
        name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        temporary = spool_dir / f".{name}.lock.tmp"
        handle = open(temporary, "w")  # noqa: SIM115 - held for the journal's life
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        # Renaming keeps our lock: nobody can adopt a fresh journal.
        os.replace(temporary, spool_dir / f"{name}.lock")
        return cls(spool_dir / name, handle)

    def append(self, event: dict[str, Any]) -> int:
        """Write ``event`` with the next sequence number; returns that number."""
        with self._mutex:
            self.appended += 1
            event["seq"] = self.appended
            self._events.write(json.dumps(event, separators=(",", ":"), default=str) + "\n")
            self._events.flush()
            return self.appended

    def acknowledged(self) -> int:
        """How many events the flusher has acknowledged."""
        return len(read_lines(self.base.with_suffix(".acks"))[0])

    def bindings(self) -> dict[str, str]:
        return read_bindings(self.base)

    def state(self) -> dict[str, Any]:
        return read_state(self.base)

    def close(self) -> None:
        """Close our handles; the lock is released once the flusher exits too."""
        with self._mutex:
            self._events.close()
            self.lock_handle.close()


class Replay:
    """The flusher's side of a journal: read new events, acknowledge, bind runs."""

    def __init__(self, base: Path, lock_handle=None):
        self.base = base
        self.lock_handle = lock_handle
        lines, self._offset = read_lines(base.with_suffix(".events"))
        acked = {int(line) for line in read_lines(base.with_suffix(".acks"))[0]
                 if names.is_decimal(line.strip())}
        self.pending: list[dict[str, Any]] = [
            event for event in parse_events(lines) if event.get("seq") not in acked]
        # The first event may have reached the store just before a crash.
        self.uncertain = bool(self.pending)
        self._acks = open(base.with_suffix(".acks"), "a", encoding="utf-8")  # noqa: SIM115 - held for the journal's life
        self._runs = open(base.with_suffix(".runs"), "a", encoding="utf-8")  # noqa: SIM115 - held for the journal's life

    @classmethod
    def adopt_orphans(cls, spool_dir: Path) -> list[Replay]:
        """Lock and open every journal whose kernel and flusher are both gone."""
        adopted = []
        for lock_path in sorted(spool_dir.glob("*.lock")):
            try:
                handle = open(lock_path, "a")  # noqa: SIM115 - held for the journal's life
            except OSError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()  # alive
                continue
            if not lock_path.exists():  # finished and removed while we waited
                handle.close()
                continue
            adopted.append(cls(lock_path.with_suffix(""), handle))
        return adopted

    def read_new(self) -> int:
        """Pick up events appended since the last read; returns how many."""
        lines, self._offset = read_lines(self.base.with_suffix(".events"), self._offset)
        events = list(parse_events(lines))
        self.pending.extend(events)
        return len(events)

    def bindings(self) -> dict[str, str]:
        return read_bindings(self.base)

    def ack(self, seq: int) -> None:
        self._acks.write(f"{seq}\n")
        self._acks.flush()

    def bind(self, key: str, run_id: str) -> None:
        self._runs.write(json.dumps({"key": key, "run_id": run_id}) + "\n")
        self._runs.flush()

    def write_state(self, state: dict[str, Any]) -> None:
        temporary = self.base.with_suffix(".state.tmp")
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.base.with_suffix(".state"))

    def remove(self) -> None:
        """Delete the journal: everything in it reached the store."""
        for suffix in SUFFIXES:
            self.base.with_suffix(suffix).unlink(missing_ok=True)
        self.base.with_suffix(".lock").unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        self._acks.close()
        self._runs.close()
        if self.lock_handle is not None:
            self.lock_handle.close()


def read_bindings(base: Path) -> dict[str, str]:
    """Every event key → MLflow run id recorded for journal ``base``."""
    found = {}
    for record in parse_events(read_lines(base.with_suffix(".runs"))[0]):
        found[record["key"]] = record["run_id"]
    return found


def read_state(base: Path) -> dict[str, Any]:
    try:
        return json.loads(base.with_suffix(".state").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def spooled_event_count(spool_dir: Path) -> int:
    """Unacknowledged events in all journals of ``spool_dir``."""
    total = 0
    for events_path in spool_dir.glob("*.events"):
        written = len(read_lines(events_path)[0])
        acked = len(read_lines(events_path.with_suffix(".acks"))[0])
        total += max(0, written - acked)
    return total
