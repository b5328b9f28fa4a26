"""Applying events to a real SQLite MLflow store, exactly once on retries."""

import pytest
from mlflow import MlflowClient

from mlops_jupyter import config
from mlops_jupyter.exceptions import StoreRejectedError
from mlops_jupyter.tracking import operations, store
from mlops_jupyter.tracking.operations import Applier


@pytest.fixture
def applier(mlops_home):
    return Applier(config.tracking_uri())


def _runs(name):
    client = MlflowClient(config.tracking_uri())
    experiment = client.get_experiment_by_name(name)
    return client, client.search_runs([experiment.experiment_id])


def test_create_log_and_end(applier):
    applier.apply(operations.start_run("s", "exp", name="session", parent=None,
                                       tags={"mlops.kind": "session"}))
    applier.apply(operations.start_run("c", "exp", name="cell", parent="s", tags={}))
    applier.apply(operations.log("c", params={"lr": "0.1"},
                                 metrics={"acc": [(0.9, 1000, 0)]}, tags={"t": "v"}))
    applier.apply(operations.artifact_text("c", "cell/source.py", "x = 1\n"))
    applier.apply(operations.end_run("c", "FAILED"))
    client, runs = _runs("exp")
    cell = next(run for run in runs if run.info.run_name == "cell")
    assert cell.info.status == "FAILED"
    assert cell.data.params == {"lr": "0.1"} and cell.data.metrics == {"acc": 0.9}
    assert cell.data.tags["mlflow.parentRunId"] == applier.run_ids["s"]
    assert [a.path for a in client.list_artifacts(cell.info.run_id, "cell")] == [
        "cell/source.py"]


def test_uncertain_replay_is_exactly_once(applier, mlops_home):
    start = operations.start_run("k", "exp", name="cell", parent=None, tags={})
    log = operations.log("k", metrics={"loss": [(0.5, 1000, 0), (0.4, 1001, 1)]})
    applier.apply(start)
    applier.apply(log)
    # A new process replays the same events after a crash, not knowing they landed.
    fresh = Applier(config.tracking_uri())
    fresh.apply(start, uncertain=True)
    fresh.apply(log, uncertain=True)
    client, runs = _runs("exp")
    assert len(runs) == 1
    assert fresh.run_ids["k"] == applier.run_ids["k"]
    history = client.get_metric_history(runs[0].info.run_id, "loss")
    assert sorted(m.value for m in history) == [0.4, 0.5]


def test_event_for_unknown_run_is_rejected(applier):
    with pytest.raises(StoreRejectedError):
        applier.apply(operations.end_run("never-created", "FINISHED"))


def test_experiment_get_or_create_survives_concurrent_creation(mlops_home):
    from concurrent.futures import ThreadPoolExecutor

    uri = config.tracking_uri()
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: store.get_or_create_experiment("race", uri), range(8)))
    assert len(ids) == 1


def test_deleted_experiment_is_restored(mlops_home):
    uri = config.tracking_uri()
    first = store.get_or_create_experiment("gone", uri)
    store.client(uri).delete_experiment(first)
    assert store.get_or_create_experiment("gone", uri) == first


def test_embedded_store_keeps_artifacts_in_home(mlops_home):
    uri = config.tracking_uri()
    experiment_id = store.get_or_create_experiment("where", uri)
    location = store.client(uri).get_experiment(experiment_id).artifact_location
    assert location.startswith(config.artifact_root())
