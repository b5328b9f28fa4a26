"""Live progress and closing summary of a pipeline run, as terminal text."""

from __future__ import annotations

import sys
from typing import TextIO

from . import step as statuses

SYMBOLS = {statuses.FINISHED: "✓", statuses.CACHED: "↺", statuses.FAILED: "✗",
           statuses.TIMED_OUT: "⏱", statuses.KERNEL_DIED: "☠", statuses.SKIPPED: "–",
           statuses.RUNNING: "▶", statuses.PENDING: "·", statuses.NOT_SELECTED: " "}


class TerminalProgress:
    """Prints one line per step transition, and a live counter line on a terminal."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self._seen: dict[str, tuple[str, int]] = {}
        self._live = self.stream.isatty()

    def __call__(self, run) -> None:
        for state in run.steps.values():
            key = (state.status, state.attempts)
            if self._seen.get(state.name) == key or state.status == statuses.NOT_SELECTED:
                continue
            self._seen[state.name] = key
            if state.status == statuses.PENDING and not state.reason:
                continue
            self._clear()
            print(f"  {SYMBOLS.get(state.status, '?')} {state.name:<24} {describe_step(state)}",
                  file=self.stream)
        if self._live and run.status == statuses.RUNNING:
            counts = _counts(run)
            line = "  " + "  ".join(f"{k} {v}" for k, v in counts.items() if v)
            self.stream.write(line[:120] + "\r")
            self.stream.flush()

    def _clear(self) -> None:
        if self._live:
            self.stream.write(" " * 120 + "\r")


def _counts(run) -> dict[str, int]:
    counts = {"done": 0, "cached": 0, "running": 0, "failed": 0, "pending": 0}
    for name in run.selected:
        status = run.steps[name].status
        key = {statuses.FINISHED: "done", statuses.CACHED: "cached",
               statuses.RUNNING: "running", statuses.PENDING: "pending"}.get(status, "failed")
        counts[key] += 1
    return counts


def describe_step(state) -> str:
    """One step's state in a few words (``cached (outputs of run ...)``, ``failed in
    2.0 s in cell 3: ValueError: ...``)."""
    if state.status == statuses.RUNNING:
        return f"running (attempt {state.attempts})" if state.attempts > 1 else "running"
    if state.status == statuses.CACHED:
        source = (state.cached_from or {}).get("pipeline_run") or "an earlier run"
        return f"cached (outputs of run {source})"
    if state.status == statuses.SKIPPED:
        return f"skipped: {state.reason}"
    if state.status == statuses.PENDING:
        return state.reason or ""
    text = f"{state.status.lower()} in {state.duration or 0:.1f} s"
    if state.error:
        cell = state.error.get("cell_index")
        where = f" in cell {cell}" if cell is not None else ""
        text += f"{where}: {state.error.get('ename')}: {state.error.get('evalue')}"
    return text


def summary(run) -> str:
    """The closing lines of ``mlops pipeline run``."""
    counts = _counts(run)
    took = (run.ended or run.started) - run.started
    lines = [f"pipeline {run.spec.name}: {run.status} in {took:.1f} s — "
             + ", ".join(f"{v} {k}" for k, v in counts.items() if v and k != "pending")]
    for name in run.selected:
        state = run.steps[name]
        if state.status in (statuses.FAILED, statuses.TIMED_OUT, statuses.KERNEL_DIED):
            lines.append(f"  {name}: {describe_step(state)}")
            if state.output_notebook:
                lines.append(f"    output notebook: {run.spec.root / state.output_notebook}")
    lines.append(f"run folder: {run.run_dir}")
    lines.append(f"MLflow experiment: {run.spec.experiment}")
    return "\n".join(lines)
