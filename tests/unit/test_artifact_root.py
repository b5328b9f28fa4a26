"""The store's default artifact root (config.artifact_root), with MLFLOW_TRACKING_URI set.

* Experiments mlops-jupyter creates keep their artifacts under it, never in
  ``./mlruns`` under the process's working folder (MLflow's default for a SQL store).
* The pipeline listing never shows the ``pipeline.yaml`` copies that runs keep in
  artifact folders (``mlruns/``, the artifact root).
"""

from __future__ import annotations

import os
from pathlib import Path

from mlops_jupyter import config
from mlops_jupyter.pipelines.workspace import Workspace
from mlops_jupyter.tracking import store


def test_the_default_root_follows_the_store(mlops_home, monkeypatch, tmp_path):
    assert config.artifact_root() == (mlops_home / "artifacts").as_uri()  # a SQLite store
    assert config.artifact_root("http://mlflow.internal:5000") == "mlflow-artifacts:/"
    assert config.experiment_artifact_location("x", "https://mlflow.internal") is None
    monkeypatch.setenv(config.ARTIFACT_ROOT_ENV, str(tmp_path / "shared-artifacts"))
    assert config.artifact_root() == (tmp_path / "shared-artifacts").as_uri()
    assert config.artifact_root("http://mlflow.internal:5000") == \
        (tmp_path / "shared-artifacts").as_uri()


def test_created_experiments_keep_artifacts_under_the_root(mlops_home, tmp_path, monkeypatch):
    assert os.environ[config.TRACKING_URI_ENV] != config.default_tracking_uri()
    workdir = tmp_path / "somewhere"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    experiment_id = store.get_or_create_experiment("where")
    client = store.client()
    location = client.get_experiment(experiment_id).artifact_location
    assert location.startswith(config.artifact_root() + "/")
    run = client.create_run(experiment_id)
    client.log_text(run.info.run_id, "steps: []\n", "pipeline.yaml")
    assert list((mlops_home / "artifacts").rglob("pipeline.yaml"))
    assert list(workdir.iterdir()) == []  # no ./mlruns


def _pipeline(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pipeline.yaml").write_text(
        "name: demo\nsteps:\n  - name: train\n    notebook: train.ipynb\n")


def test_pipelines_inside_artifact_folders_are_not_listed(mlops_home, tmp_path, monkeypatch):
    root = tmp_path / "server-root"
    _pipeline(root / "project")
    _pipeline(root / "project" / "mlruns" / "1" / "0a1b" / "artifacts")
    _pipeline(root / "mlartifacts" / "2" / "0c1d" / "artifacts")
    monkeypatch.setenv(config.ARTIFACT_ROOT_ENV, str(root / "store" / "artifacts"))
    _pipeline(root / "store" / "artifacts" / "exp-1" / "0e1f" / "artifacts")
    listed = Workspace(root).list_pipelines()
    assert [entry.path for entry in listed.pipelines] == ["project/pipeline.yaml"]


def test_the_embedded_store_keeps_the_same_root(embedded_home):
    assert config.is_embedded_store(config.tracking_uri())
    experiment_id = store.get_or_create_experiment("embedded")
    location = store.client().get_experiment(experiment_id).artifact_location
    assert location.startswith((embedded_home / "artifacts").as_uri() + "/")
    assert (embedded_home / "mlflow.db").is_file()
