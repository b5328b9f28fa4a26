"""Helpers for the pipeline tests: throwaway notebooks and projects, runs, cleanup.

Import explicitly (``from tests.pipelines.helpers import write_notebook``).

* :func:`write_notebook` — a small python3 notebook with a ``parameters`` cell.
* :func:`write_project` — a pipeline.yaml plus notebooks in one folder.
* :func:`run` — a real :class:`PipelineRun` (papermill kernels, spawn worker pool).
* :func:`isolated_home` — an mlops-jupyter home for module-scoped fixtures (the
  ``mlops_home`` fixture is function-scoped); kills its flushers on exit.
* :func:`cli` — ``python -m mlops_jupyter.cli`` in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlops_jupyter import config
from tests.magics.helpers import REPO_ROOT, kernel_env, stop_flushers

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, parameters_source: str | None = None,
                   body_sources: list[str] | tuple[str, ...] = ()) -> Path:
    """Write a notebook: an optional ``parameters``-tagged cell, then ``body_sources``.

    Sources are dedented, so tests can write them as indented triple-quoted strings.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    if parameters_source is not None:
        cell = nbformat.v4.new_code_cell(textwrap.dedent(parameters_source).strip())
        cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    for source in body_sources:
        nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source).strip()))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def write_project(root: Path, pipeline_yaml: str,
                  notebooks: dict[str, tuple[str | None, list[str]]] | None = None) -> Path:
    """``root/pipeline.yaml`` (dedented) and ``notebooks`` {relative path: (params, body)}.

    Returns the pipeline file.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for relative, (parameters, body) in (notebooks or {}).items():
        write_notebook(root / relative, parameters, body)
    file = root / "pipeline.yaml"
    file.write_text(textwrap.dedent(pipeline_yaml).lstrip())
    return file


def run(file: Path, **options: Any):
    """Load ``file`` and run it with :class:`RunOptions` ``options``; returns the run."""
    from mlops_jupyter.pipelines.runner import RunOptions, run_pipeline
    from mlops_jupyter.pipelines.spec import load_spec

    return run_pipeline(load_spec(file), RunOptions(**options))


def statuses(pipeline_run) -> dict[str, str]:
    """{step: status} of a finished :class:`PipelineRun`."""
    return {name: state.status for name, state in pipeline_run.steps.items()}


def status_json(pipeline_run) -> dict[str, Any]:
    """The run's ``status.json`` as written on disk."""
    return json.loads((pipeline_run.run_dir / "status.json").read_text())


def status_json_statuses(pipeline_run) -> dict[str, str]:
    return {step["name"]: step["status"] for step in status_json(pipeline_run)["steps"]}


@contextmanager
def isolated_home(home: Path) -> Iterator[Path]:
    """Point mlops-jupyter at ``home`` (like the ``mlops_home`` fixture) for a block.

    Flushers started for this home are killed on exit, so none outlives the tests.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.HOME_ENV, str(home))
        patch.delenv(config.TRACKING_URI_ENV, raising=False)
        try:
            yield home
        finally:
            if (home / "spool").is_dir():
                stop_flushers(home / "spool")


def cli(*args: str, home: Path, cwd: Path | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess:
    """``python -m mlops_jupyter.cli ARGS`` with ``home`` as MLOPS_JUPYTER_HOME."""
    return subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", *args], cwd=cwd or REPO_ROOT,
        env=kernel_env(home), capture_output=True, text=True, timeout=timeout, check=False)
