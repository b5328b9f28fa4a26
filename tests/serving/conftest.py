"""Serving fixtures: a module-wide home and store, registered models, endpoints.

``serving_home`` is module-scoped (one store per test module, so one endpoint per
module can serve many tests); ``endpoints`` starts ``mlops serve`` processes and
stops each by its pid at the end of the module, even on failure.
"""

from __future__ import annotations

import shutil

import pytest

from mlops_jupyter import config

from .helpers import Endpoint, register


@pytest.fixture(scope="module")
def serving_home(tmp_path_factory, _empty_store):
    """A fresh home with a ready SQLite store (``$MLFLOW_TRACKING_URI`` set, not the
    embedded default), for the whole module."""
    root = tmp_path_factory.mktemp("serving")
    home = root / "home"
    database = root / "team-store" / "mlflow.db"
    database.parent.mkdir(parents=True)
    home.mkdir()
    shutil.copyfile(_empty_store, database)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.HOME_ENV, str(home))
        patch.setenv(config.TRACKING_URI_ENV, f"sqlite:///{database}")
        patch.delenv(config.ARTIFACT_ROOT_ENV, raising=False)
        patch.delenv(config.SERVE_TOKEN_ENV, raising=False)
        patch.delenv("MLOPS_INFERENCE_LOG_URL", raising=False)
        patch.chdir(root)
        yield home


@pytest.fixture(scope="module")
def cancer_frame():
    """The breast-cancer features and target (a frame of 30 float columns)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    return data.data, data.target


@pytest.fixture(scope="module")
def cancer_lr(cancer_frame):
    """A LogisticRegression fitted on the breast-cancer frame."""
    from sklearn.linear_model import LogisticRegression

    features, target = cancer_frame
    return LogisticRegression(max_iter=5000).fit(features, target)


@pytest.fixture(scope="module")
def cancer_model(serving_home, cancer_lr, cancer_frame):
    """``cancer`` version 1 (LogisticRegression) registered with alias champion."""
    register(cancer_lr, "cancer", cancer_frame[0])
    return "cancer"


@pytest.fixture(scope="module")
def endpoints(serving_home, tmp_path_factory):
    """Start endpoints: ``endpoints(reference, *args, **kwargs)`` -> a ready
    :class:`Endpoint`; every one is stopped by pid when the module ends."""
    started: list[Endpoint] = []
    folder = tmp_path_factory.mktemp("serve-output")

    def start(reference: str, *args: str, wait: bool = True, **kwargs) -> Endpoint:
        endpoint = Endpoint(reference, *args, folder=folder, **kwargs)
        started.append(endpoint)
        return endpoint.start(wait=wait)

    yield start
    for endpoint in started:
        try:
            endpoint.stop(timeout=20)
        finally:
            endpoint.kill()
