"""Fixtures of the runs workspace tests: a real pipeline project (a git repository)
run twice — the second time as scheduler job 7, so its finished steps come from the
cache — and a session with a cell run tagged the way the tracking core tags them."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_jupyter import config
from tests.magics.helpers import experiment_runs, wait_for
from tests.pipelines.helpers import isolated_home, run, write_project

PIPELINE = """
    name: churn
    experiment: runs-exp
    steps:
      - name: prepare
        notebook: prepare.ipynb
        parameters: {scale: 3}
        outputs: {table: out/table.txt}
      - name: train_forest
        notebook: train.ipynb
        parameters: {source: "${steps.prepare.outputs.table}"}
      - name: evaluate
        notebook: evaluate.ipynb
        needs: [prepare]
"""
NOTEBOOKS = {
    "prepare.ipynb": ("scale = 1", ["""
        import os
        import mlops_jupyter
        for i in range(4):
            mlops_jupyter.log_metric("loss", 1.0 / (i + scale))
        os.makedirs("out", exist_ok=True)
        open("out/table.txt", "w").write(str(scale))
    """]),
    "train.ipynb": ("source = ''", ["""
        import mlops_jupyter
        mlops_jupyter.log_metric("accuracy", 0.5 + len(open(source).read()) / 10)
        mlops_jupyter.log_param("model", "forest")
    """]),
    "evaluate.ipynb": (None, ["x = 1", """
        raise ValueError("threshold must be positive")
    """]),
}


@dataclass
class PipelineRuns:
    home: Path
    project: Path
    first: object
    second: object
    by_key: dict


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                        "HOME": str(project), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def pipeline_runs(tmp_path_factory) -> PipelineRuns:
    from mlops_jupyter.tracking.store import client as store_client

    base = tmp_path_factory.mktemp("runs")
    project = base / "project"
    file = write_project(project, PIPELINE, NOTEBOOKS)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "first")
    (project / "notes.md").write_text("changed\n")
    _git(project, "add", "notes.md")  # staged: the tree is dirty, the diff shows it
    with isolated_home(base / "home"):
        first = run(file)
        second = run(file, run_id="job-7", scheduled=True)
        client = store_client(config.tracking_uri())

        def complete():
            try:
                runs = experiment_runs(client, "runs-exp")
            except AssertionError:
                return None
            done = [r for r in runs if r.info.status != "RUNNING"]
            cached = [r for r in runs if r.data.tags.get("mlops.cache.hit") == "true"]
            failed = [r for r in runs if r.data.tags.get("mlops.error.ename")]
            if len(runs) == 8 and len(done) == 8 and len(failed) == 2 and cached \
                    and all("mlops.cache.source_run_id" in r.data.tags for r in cached):
                return runs
            return None

        runs = wait_for(complete, 180, "8 finished runs in MLflow", interval=0.5)
    by_key = {r.data.tags.get("mlops.run_key"): r for r in runs}
    return PipelineRuns(base / "home", project, first, second, by_key)


@pytest.fixture
def pipeline_home(pipeline_runs, monkeypatch) -> PipelineRuns:
    """Point mlops-jupyter at the pipeline runs' home for one test."""
    monkeypatch.setenv(config.HOME_ENV, str(pipeline_runs.home))
    monkeypatch.delenv(config.TRACKING_URI_ENV, raising=False)
    return pipeline_runs


def run_id_of(pipeline_runs: PipelineRuns, key: str) -> str:
    return pipeline_runs.by_key[key].info.run_id
