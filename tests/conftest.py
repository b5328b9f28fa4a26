"""Shared fixtures: an isolated mlops-jupyter home, seeded runs, a Jupyter server."""

from __future__ import annotations

import shutil
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
import tornado.httpserver
from pytest_jupyter.pytest_tornasync import AsyncHTTPServerClient

from mlops_jupyter import config
from mlops_jupyter.tracking import store

pytest_plugins = ("pytest_jupyter.jupyter_server",)


# --- Jupyter server -------------------------------------------------------------------
# pytest-jupyter starts its HTTP server on a loop of its own; pytest-asyncio 1.x runs
# each test on another one, and jp_fetch then waits forever. Serving from async
# fixtures puts the server on the test's loop.


@pytest.fixture
async def http_server(http_server_port, jp_web_app):
    """The test server's HTTP listener, on the running test's event loop."""
    server = tornado.httpserver.HTTPServer(jp_web_app)
    server.add_socket(http_server_port[0])
    yield server
    server.stop()
    await server.close_all_connections()
    http_server_port[0].close()


@pytest.fixture
async def http_server_client(http_server):
    """An HTTP client of :func:`http_server`, as ``jp_fetch`` expects."""
    with closing(AsyncHTTPServerClient(http_server=http_server)) as client:
        yield client


@pytest.fixture
def jp_server_config():
    """Enable only our server extension; refuse anonymous requests like a deployment.

    The in-server scheduler (on by default) is off here, so tests that do not use
    schedules start no scheduler thread and never open a job store; the schedule
    tests turn it on with their own home (tests/server/test_schedules.py).
    """
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
        },
        "MLOpsExtensionApp": {"scheduler_enabled": False},
    }


# --- Tracking store ---------------------------------------------------------------------


TEAM_STORE = Path("team-store") / "mlflow.db"


@pytest.fixture(autouse=True)
def _fresh_clients():
    """Every test opens its own MLflow clients: the per-URI client cache of
    ``tracking.store`` is emptied around each test (the one place tests reset it).
    Within a test, pointing at another store needs nothing: clients are per URI."""
    store.forget_clients()
    yield
    store.forget_clients()


@pytest.fixture(autouse=True)
def _unpinned_store():
    """A dashboard view pins its kernel's store (config.pin_tracking_uri); in this test
    process that must not outlive the test that did it."""
    yield
    config.pin_tracking_uri(None)


@pytest.fixture
def mlops_home(tmp_path, monkeypatch):
    """A fresh mlops-jupyter home, with ``MLFLOW_TRACKING_URI`` set to a SQLite store
    that is NOT the embedded default (``<tmp>/team-store/mlflow.db``): the normal team
    setup, so code that falls back to the default store (or loses the variable) is
    caught by every test. Tests about the embedded default use :func:`embedded_home`.
    """
    home = tmp_path / "home"
    monkeypatch.setenv(config.HOME_ENV, str(home))
    monkeypatch.setenv(config.TRACKING_URI_ENV, f"sqlite:///{tmp_path / TEAM_STORE}")
    monkeypatch.delenv(config.ARTIFACT_ROOT_ENV, raising=False)
    return home


@pytest.fixture
def embedded_home(mlops_home, monkeypatch):
    """``mlops_home`` without ``MLFLOW_TRACKING_URI``: the embedded default store
    ``<home>/mlflow.db``. Request it before fixtures that fill the store."""
    monkeypatch.delenv(config.TRACKING_URI_ENV, raising=False)
    return mlops_home


def store_database() -> Path:
    """The SQLite file of the store the code under test uses (``config.tracking_uri``)."""
    uri = config.tracking_uri()
    assert uri.startswith("sqlite:///"), uri
    path = Path(uri[len("sqlite:///"):])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class SeededRuns:
    """Ids of what :func:`seed_runs` wrote.

    ``cell_run_ids`` is in execution order: load, train, evaluate (FAILED), predict
    (RUNNING). Newest first, an experiment's runs are therefore predict, evaluate,
    train, load, then the session.
    """

    experiment_id: str
    other_experiment_id: str
    deleted_experiment_id: str
    session_run_id: str
    cell_run_ids: tuple[str, ...]

    @property
    def run_ids_newest_first(self) -> list[str]:
        return [*reversed(self.cell_run_ids), self.session_run_id]


SEED_EXPERIMENT = "churn-model"
SEED_NOTEBOOK = "analysis/train.ipynb"
SEED_CELLS = (
    # name, status, seconds taken (None while running), metrics, params, error
    ("load data", "FINISHED", 1.25, {"rows": 1000.0}, {"source": "churn.csv"}, None),
    (
        "train",
        "FINISHED",
        42.5,
        {"accuracy": 0.9134, "auc": 0.951, "f1": 0.884, "loss": 0.271},
        {"C": "0.5", "penalty": "l2"},
        None,
    ),
    ("evaluate", "FAILED", 0.4, {}, {}, ("ZeroDivisionError", "division by zero")),
    ("predict", "RUNNING", None, {}, {}, None),
)


@pytest.fixture
def seed_runs(mlops_home, _seeded_store) -> SeededRuns:
    """Put a tracking session of four cell runs into the embedded store.

    Also there: an empty experiment ``baseline`` and a deleted one ``abandoned``.
    The store is written once per test session and copied, since creating an MLflow
    SQLite schema takes seconds.
    """
    database, seeded = _seeded_store
    mlops_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(database, store_database())
    return seeded


@pytest.fixture(scope="session")
def _seeded_store(tmp_path_factory) -> tuple[Path, SeededRuns]:
    home = tmp_path_factory.mktemp("seeded-home")
    seeded = _write_seed_runs(f"sqlite:///{home / 'mlflow.db'}", (home / "artifacts").as_uri())
    return home / "mlflow.db", seeded


def _write_seed_runs(tracking_uri: str, artifacts: str) -> SeededRuns:
    """Write the seed with :class:`mlflow.MlflowClient` directly, tagged the way the
    tracking core tags its runs, so readers are tested against a real store."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=tracking_uri)
    deleted_id = client.create_experiment("abandoned", artifact_location=f"{artifacts}/a")
    client.delete_experiment(deleted_id)
    other_id = client.create_experiment("baseline", artifact_location=f"{artifacts}/b")
    time.sleep(0.01)  # last_update_time has millisecond resolution
    experiment_id = client.create_experiment(SEED_EXPERIMENT, artifact_location=f"{artifacts}/c")

    now_ms = int(time.time() * 1000)
    started = now_ms - 10 * 60 * 1000
    session = client.create_run(
        experiment_id,
        start_time=started,
        run_name="session 2026-11-21 09:30",
        tags={"mlops.kind": "session", "mlops.notebook": SEED_NOTEBOOK},
    )
    cell_ids = []
    for count, (name, status, seconds, metrics, params, error) in enumerate(SEED_CELLS, 1):
        started += 60 * 1000
        tags = {
            "mlflow.parentRunId": session.info.run_id,
            "mlops.kind": "cell",
            "mlops.notebook": SEED_NOTEBOOK,
            "mlops.cell.execution_count": str(count),
        }
        if error:
            tags["mlops.error.type"], tags["mlops.error.message"] = error
        run = client.create_run(experiment_id, start_time=started, run_name=name, tags=tags)
        client.log_batch(
            run.info.run_id,
            metrics=[Metric(key, value, started, 0) for key, value in metrics.items()],
            params=[Param(key, value) for key, value in params.items()],
        )
        if seconds is not None:
            client.set_terminated(run.info.run_id, status, end_time=started + int(seconds * 1000))
        cell_ids.append(run.info.run_id)
    return SeededRuns(
        experiment_id=experiment_id,
        other_experiment_id=other_id,
        deleted_experiment_id=deleted_id,
        session_run_id=session.info.run_id,
        cell_run_ids=tuple(cell_ids),
    )


# --- registry: a real SQLite store and real trained models --------------------------

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
    """``mlops_home`` with a ready (empty) store (the one ``config.tracking_uri`` names).

    MLflow's fluent readers used by the tests to check results (``get_model_info``,
    ``load_model``) follow ``MLFLOW_TRACKING_URI``, which ``mlops_home`` set; nothing
    here sets MLflow's process-global URI.
    """
    mlops_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_empty_store, store_database())
    return mlops_home


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


@pytest.fixture
def monitored_iris(registry_home, make_run, iris_model, iris, tmp_path):
    """``iris`` v1 (champion, its features as reference) and ``check(shifted)``: a real
    drift check (rule: drift share above 40 %) of the features as they are, or with
    three of the four columns shifted by 3 standard deviations."""
    from mlops_jupyter.monitoring.checks import run_check
    from mlops_jupyter.monitoring.references import build_profile
    from mlops_jupyter.monitoring.spec import parse_monitor
    from mlops_jupyter.registry import register_model

    features, _ = iris
    register_model(iris_model, "iris", run_id=make_run(), alias="champion",
                   reference=build_profile(features))
    spec = parse_monitor({"model": "iris", "rules": [
        {"name": "too-much-drift", "drift_share_above": 0.4}]}, root=tmp_path)
    shifted = features.copy()
    for column in features.columns[:3]:
        shifted[column] = shifted[column] + 3 * shifted[column].std()

    def check(drifted: bool):
        current = shifted if drifted else features.sample(frac=1.0, random_state=0)
        return run_check(spec, current=current, report=False)

    return check
