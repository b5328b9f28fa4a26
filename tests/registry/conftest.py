"""Fixtures for the registry tests: a real SQLite MLflow store, real trained models."""

from __future__ import annotations

import shutil

import pytest

from mlops_jupyter import config
from mlops_jupyter.tracking import store


@pytest.fixture(scope="session")
def _empty_store(tmp_path_factory):
    """A migrated, empty MLflow SQLite database (creating the schema takes seconds)."""
    from mlflow import MlflowClient

    home = tmp_path_factory.mktemp("empty-registry-home")
    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    client.search_experiments()
    return home / "mlflow.db"


@pytest.fixture
def registry_home(mlops_home, _empty_store):
    """``mlops_home`` with a ready (empty) embedded store.

    MLflow's fluent readers used by the tests to check results (``get_model_info``,
    ``load_model``) follow the global tracking URI, so it points at this store.
    """
    import mlflow

    mlops_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_empty_store, mlops_home / "mlflow.db")
    store._clients.clear()
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(config.tracking_uri())
    yield mlops_home
    mlflow.set_tracking_uri(previous)


@pytest.fixture(scope="session")
def iris():
    from sklearn.datasets import load_iris

    data = load_iris(as_frame=True)
    return data.data, data.target


@pytest.fixture(scope="session")
def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    return data.data, data.target


@pytest.fixture(scope="session")
def iris_model(iris):
    from sklearn.linear_model import LogisticRegression

    features, target = iris
    return LogisticRegression(max_iter=500).fit(features, target)


@pytest.fixture(scope="session")
def torch_model():
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model.eval()
    return model


@pytest.fixture
def make_run(registry_home):
    """Create a finished run with metrics/params/tags in the embedded store."""

    def _make(metrics=None, params=None, tags=None, experiment="training", parent=None):
        from mlflow.entities import Metric, Param

        client = store.client()
        experiment_id = store.get_or_create_experiment(experiment)
        all_tags = dict(tags or {})
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        run = client.create_run(experiment_id, tags=all_tags)
        client.log_batch(run.info.run_id,
                         metrics=[Metric(k, v, 0, 0) for k, v in (metrics or {}).items()],
                         params=[Param(k, str(v)) for k, v in (params or {}).items()])
        client.set_terminated(run.info.run_id, "FINISHED")
        return run.info.run_id

    return _make


@pytest.fixture
def registered(make_run, iris_model, iris):
    """Register ``iris_model`` as a new version of a model from a run with ``metrics``."""
    from mlops_jupyter.registry import register_model

    def _register(name="iris", metrics=None, **kwargs):
        run_id = make_run(metrics=metrics or {"accuracy": 0.95})
        return register_model(iris_model, name, run_id=run_id, **kwargs)

    return _register


def tracking_uri() -> str:
    return config.tracking_uri()
