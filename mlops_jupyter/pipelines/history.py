"""The run history of one pipeline file: its past runs, newest first, paged.

The run folders are the record: ``<project>/mlops-runs/<id>/status.json`` for runs of
the file (CLI, sidebar, retrain: trigger ``manual``) and ``<project>/mlops-jobs/<id>/``
for its scheduled jobs (trigger ``scheduled``). A folder's status.json names the
pipeline file it ran, so the runs of another pipeline in the same project folder are
left out. The newest :data:`MAX_SCANNED` folders of each kind are read at most.

The MLflow run ids of the page's runs and steps are looked up in one search of the
pipeline's experiment (best effort: a store that is down leaves them empty, it does
not fail the history).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from .. import names
from . import step as statuses
from .cache import JOBS_DIR, RUNS_DIR
from .contracts import HistoryRun, HistoryStep, PipelineHistory

log = logging.getLogger(__name__)

#: The most run folders (of each kind) read for one history answer.
MAX_SCANNED = 500
#: The most runs on one page.
MAX_LIMIT = 50
#: Step states counted as ok / failed.
OK = frozenset({statuses.FINISHED})
FAILED = frozenset({statuses.FAILED, statuses.TIMED_OUT, statuses.KERNEL_DIED})
#: The most MLflow runs one lookup reads (a page of 50 runs of 20 steps).
MAX_MLFLOW_RUNS = 1000


def run_history(pipeline: Path, experiment: str, name: str, *, offset: int = 0, limit: int = 10,
                relative=lambda path: str(path), scrub=lambda text: text,
                mlflow_ids: bool = True) -> PipelineHistory:
    """The runs of the pipeline file ``pipeline``, newest first.

    Args:
        pipeline: the pipeline file (absolute, resolved).
        experiment: its MLflow experiment (for the run ids).
        name: the pipeline's name (its MLflow runs are tagged with it).
        offset, limit: the page (``limit`` at most :data:`MAX_LIMIT`).
        relative: makes a path client-safe (relative to the server root).
        scrub: takes absolute paths out of a message.
        mlflow_ids: look the MLflow run ids up.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    found: list[tuple[float, str, dict[str, Any]]] = []
    truncated = False
    for folder, trigger in ((RUNS_DIR, "manual"), (JOBS_DIR, "scheduled")):
        entries, more = _newest_folders(pipeline.parent / folder)
        truncated = truncated or more
        for entry in entries:
            status = _read_status(entry, pipeline)
            if status is not None:
                started = status.get("started")
                found.append((started if isinstance(started, (int, float)) else 0.0,
                              trigger, status))
    found.sort(key=lambda item: item[0], reverse=True)
    page = found[offset:offset + limit]
    runs = [_history_run(status, trigger, pipeline.parent, relative, scrub)
            for _, trigger, status in page]
    if mlflow_ids and runs:
        _add_mlflow_ids(runs, experiment, name, min(started for started, _, _ in page))
    return PipelineHistory(runs=runs, offset=offset, limit=limit,
                           total=len(found), has_more=len(found) > offset + limit,
                           truncated=truncated)


def _newest_folders(root: Path) -> tuple[list[Path], bool]:
    """The newest :data:`MAX_SCANNED` run folders under ``root`` (by modification time),
    and whether there were more."""
    try:
        with os.scandir(root) as scan:
            entries = [(entry.stat(follow_symlinks=False).st_mtime, entry.name)
                       for entry in scan
                       if names.is_run_id(entry.name) and entry.is_dir(follow_symlinks=False)]
    except OSError:
        return [], False
    entries.sort(reverse=True)
    return [root / name for _, name in entries[:MAX_SCANNED]], len(entries) > MAX_SCANNED


def _read_status(folder: Path, pipeline: Path) -> dict[str, Any] | None:
    try:
        status = json.loads((folder / "status.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(status, dict) or status.get("run_id") != folder.name:
        return None
    recorded = status.get("file")
    try:
        if not isinstance(recorded, str) or Path(recorded).resolve() != pipeline:
            return None
    except (OSError, ValueError):
        return None
    return status


def _error_line(step: dict[str, Any]) -> str | None:
    error = step.get("error")
    if isinstance(error, dict):
        ename, evalue = error.get("ename"), error.get("evalue")
        cell = error.get("cell_index")
        text = ": ".join(str(part) for part in (ename, evalue) if part)
        if text and isinstance(cell, int):
            text = f"{text} (cell {cell})"
        return text or (step.get("reason") or None)
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _history_run(status: dict[str, Any], trigger: str, project: Path, relative,
                 scrub) -> HistoryRun:
    steps = []
    for step in status.get("steps") or []:
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            continue
        notebook = step.get("output_notebook")
        cached_from = step.get("cached_from") if isinstance(step.get("cached_from"), dict) \
            else {}
        error = _error_line(step)
        steps.append(HistoryStep(
            name=step["name"], status=str(step.get("status") or statuses.PENDING),
            started=_number(step.get("started")), duration=_number(step.get("duration")),
            error=scrub(error)[:1000] if error else None,
            reason=scrub(str(step["reason"]))[:1000] if step.get("reason") else None,
            output_notebook_path=relative(project / notebook)
            if isinstance(notebook, str) and notebook else None,
            cached_from_run=cached_from.get("pipeline_run")
            if isinstance(cached_from.get("pipeline_run"), str) else None,
            run_key=step.get("run_key") if isinstance(step.get("run_key"), str) else None,
            mlflow_run_id=None))
    started, ended = _number(status.get("started")), _number(status.get("ended"))
    failed_steps = [step for step in steps if step.status in FAILED]
    error = status.get("error") if isinstance(status.get("error"), str) else None
    if error is None and failed_steps:
        first = failed_steps[0]
        error = f"step {first.name} failed" + (f": {first.error}" if first.error else "")
    return HistoryRun(
        run_id=str(status["run_id"]), trigger=trigger,
        status=str(status.get("status") or statuses.PENDING), started=started, ended=ended,
        duration=ended - started if started is not None and ended is not None else None,
        ok=sum(step.status in OK for step in steps),
        failed=len(failed_steps),
        cached=sum(step.status == statuses.CACHED for step in steps),
        steps_total=len(steps),
        error=scrub(error)[:1000] if error else None, mlflow_run_id=None, steps=steps)


def _add_mlflow_ids(runs: list[HistoryRun], experiment: str, name: str,
                    since: float) -> None:
    """Fill in the MLflow run ids of the runs and their steps (one search)."""
    from ..tracking.operations import RUN_KEY_TAG

    wanted = {run.run_id for run in runs}
    try:
        from ..tracking.store import client

        mlflow_client = client()
        found = mlflow_client.get_experiment_by_name(experiment)
        if found is None:
            return
        start_ms = int(max(0.0, since - 60) * 1000)
        condition = f"attributes.start_time >= {start_ms}"
        if "'" not in name and "\\" not in name:
            condition += f" and tags.`mlops.pipeline.name` = '{name}'"
        mlflow_runs = mlflow_client.search_runs(
            [found.experiment_id], filter_string=condition,
            max_results=MAX_MLFLOW_RUNS)
    except Exception as exc:  # noqa: BLE001 - ids are a convenience: the store may be down
        log.debug("no MLflow run ids for the pipeline history: %s", exc)
        return
    by_pipeline_run: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for mlflow_run in mlflow_runs:
        tags = mlflow_run.data.tags
        if tags.get("mlops.pipeline.run_id") not in wanted:
            continue
        if tags.get("mlops.kind") == "pipeline":
            by_pipeline_run[tags["mlops.pipeline.run_id"]] = mlflow_run.info.run_id
        elif tags.get(RUN_KEY_TAG):
            by_key[tags[RUN_KEY_TAG]] = mlflow_run.info.run_id
    for run in runs:
        run.mlflow_run_id = by_pipeline_run.get(run.run_id)
        for step in run.steps:
            step.mlflow_run_id = by_key.get(step.run_key) if step.run_key else None
