"""Running a pipeline from a notebook, with a live ipywidgets progress display."""

from __future__ import annotations

import html
from pathlib import Path

from . import step as statuses
from .overrides import parse_overrides
from .progress import SYMBOLS, describe_step
from .runner import PipelineRun, RunOptions, run_pipeline
from .spec import load_spec

_COLOURS = {statuses.FINISHED: "#2e7d32", statuses.CACHED: "#1565c0",
            statuses.RUNNING: "#ef6c00", statuses.SKIPPED: "#757575"}


def _table(run: PipelineRun) -> str:
    rows = []
    for name in run.selected:
        state = run.steps[name]
        colour = _COLOURS.get(state.status, "#c62828" if state.status in (
            statuses.FAILED, statuses.TIMED_OUT, statuses.KERNEL_DIED) else "inherit")
        rows.append(
            f"<tr><td>{SYMBOLS.get(state.status, '')}</td><td><b>{html.escape(name)}</b></td>"
            f"<td style='color:{colour}'>{state.status}</td>"
            f"<td>{html.escape(describe_step(state))}</td></tr>")
    return (f"<div><b>pipeline {html.escape(run.spec.name)}</b>: {run.status}</div>"
            "<table style='border-collapse:collapse'>" + "".join(rows) + "</table>")


def run_in_notebook(path: str | Path, *, params: list[str] | None = None, force: bool = False,
                    only: list[str] | None = None, from_step: str | None = None,
                    executor: str = "local", dask_scheduler: str | None = None,
                    max_parallel: int | None = None) -> PipelineRun:
    """Run a pipeline from a notebook cell, showing live per-step progress.

    Same options as ``mlops pipeline run``; returns the finished run (``.ok``,
    ``.steps``, ``.to_dict()``).
    """
    import ipywidgets
    from IPython.display import display

    spec = load_spec(path)
    options = RunOptions(executor=executor, scheduler=dask_scheduler, force=force,
                         only=list(only or []), from_step=from_step, max_parallel=max_parallel,
                         overrides=parse_overrides(list(params or []), spec))
    progress = ipywidgets.IntProgress(min=0, max=len(spec.steps), description="steps")
    table = ipywidgets.HTML()
    display(ipywidgets.VBox([progress, table]))

    def on_change(run: PipelineRun) -> None:
        progress.max = len(run.selected)
        progress.value = sum(run.steps[n].status not in (statuses.PENDING, statuses.RUNNING)
                             for n in run.selected)
        progress.bar_style = "" if run.status == statuses.RUNNING else (
            "success" if run.ok else "danger")
        table.value = _table(run)

    return run_pipeline(spec, options, on_change)
