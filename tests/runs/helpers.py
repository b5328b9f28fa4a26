"""Runs written straight into the test's real MLflow store, tagged as the tracking
core tags them (sessions with notebook snapshots, cells with sources)."""

from __future__ import annotations

import json
from pathlib import Path

from mlops_jupyter.tracking import store


def make_run(experiment: str = "compare", *, name: str = "run", params=None, metrics=None,
             histories=None, tags=None, parent: str | None = None) -> str:
    """A finished run with ``params``, latest ``metrics`` and ``histories``
    (``{key: [values per step]}``); returns its id."""
    client = store.client()
    experiment_id = store.get_or_create_experiment(experiment)
    all_tags = dict(tags or {})
    if parent:
        all_tags["mlflow.parentRunId"] = parent
    run = client.create_run(experiment_id, run_name=name, tags=all_tags)
    run_id = run.info.run_id
    for key, value in (params or {}).items():
        client.log_param(run_id, key, value)
    for key, values in (histories or {}).items():
        for step, value in enumerate(values):
            client.log_metric(run_id, key, value, step=step)
    for key, value in (metrics or {}).items():
        client.log_metric(run_id, key, value)
    client.set_terminated(run_id, "FINISHED")
    return run_id


def notebook_json(sources: list[str | tuple[str, str]]) -> dict:
    """A notebook of code cells (or ``(cell_type, source)``), with outputs."""
    cells = []
    for index, item in enumerate(sources):
        kind, source = item if isinstance(item, tuple) else ("code", item)
        cell = {"cell_type": kind, "source": source, "metadata": {}, "id": f"c{index}"}
        if kind == "code":
            cell.update(execution_count=index + 1, outputs=[
                {"output_type": "stream", "name": "stdout", "text": f"out {index}\n"}])
        cells.append(cell)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def log_notebook(run_id: str, notebook: dict, folder: Path, name: str = "train.ipynb") -> None:
    """Keep ``notebook`` as the run's ``notebook/<name>`` snapshot."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(notebook))
    store.client().log_artifact(run_id, str(path), "notebook")


def log_text(run_id: str, artifact: str, text: str, folder: Path) -> None:
    """Keep ``text`` as the artifact ``artifact`` (``dir/name``) of the run."""
    directory, _, name = artifact.rpartition("/")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    store.client().log_artifact(run_id, str(path), directory or None)
