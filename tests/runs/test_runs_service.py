"""The runs workspace over a real store: the tree, search and sort, cached and
scheduled markers from real pipeline runs, a run's detail, artifacts, notebooks."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.runs.service import RunsService
from mlops_jupyter.tracking import queries, store
from tests.runs.conftest import run_id_of


def experiment_id(name: str) -> str:
    return store.client().get_experiment_by_name(name).experiment_id


# ----------------------------------------------------------------------- the tree
def test_top_level_lists_pipelines_with_their_step_counts(pipeline_home):
    page = queries.list_runs(experiment_id("runs-exp"))
    runs = page["runs"]
    assert [run["kind"] for run in runs] == ["pipeline", "pipeline"]
    scheduled, manual = runs  # newest first
    assert scheduled["run_id"] == run_id_of(pipeline_home, pipeline_home.second.pipeline_key)
    assert scheduled["scheduled"] is True and scheduled["job_id"] == 7
    assert manual["scheduled"] is False and manual["job_id"] is None
    assert all(run["child_count"] == 3 and run["pipeline"] == "churn" for run in runs)
    assert all(run["parent_run_id"] is None for run in runs)


def test_children_in_start_order_with_cached_steps_linked_to_their_producer(pipeline_home):
    second = run_id_of(pipeline_home, pipeline_home.second.pipeline_key)
    steps = queries.list_runs(experiment_id("runs-exp"), parent=second)["runs"]
    by_step = {run["step"]: run for run in steps}
    # In the pipeline's order (cached steps are recorded together: start times tie).
    assert [run["step"] for run in steps] == ["prepare", "train_forest", "evaluate"]
    first = pipeline_home.first
    for name in ("prepare", "train_forest"):
        assert by_step[name]["cached"] is True
        assert by_step[name]["cached_from_run_id"] == run_id_of(
            pipeline_home, first.steps[name].run_key)
        assert by_step[name]["kind"] == "step" and by_step[name]["job_id"] == 7
        assert by_step[name]["scheduled"] is False  # the pipeline run is the scheduled one
    failed = by_step["evaluate"]
    assert failed["cached"] is False and failed["status"] == "FAILED"
    assert failed["error"] == "ValueError: threshold must be positive"


@pytest.mark.parametrize(("text", "expected"), [
    ("metrics.accuracy >= 0.6", {"train_forest"}),
    ("params.model = 'forest'", {"train_forest"}),
    ("metrics.loss < 0.3 and tags.`mlops.kind` = 'step'", {"prepare"}),
    ("attributes.status = 'FAILED' and tags.`mlops.kind` = 'step'", {"evaluate"}),
])
def test_a_filter_lists_matching_runs_flat(pipeline_home, text, expected):
    runs = queries.list_runs(experiment_id("runs-exp"), filter_string=text)["runs"]
    assert {run["step"] for run in runs} == expected
    assert all(run["parent_run_id"] for run in runs)  # each says where it belongs


@pytest.mark.parametrize("text", [
    "metrics.accuracy >", "accuracy > 0.9", "params.model = forest",
    "metrics.accuracy > 0.9 andd params.x = '1'", "'",
])
def test_a_malformed_filter_is_one_line_usage_error(pipeline_home, text):
    with pytest.raises(UsageError) as caught:
        queries.list_runs(experiment_id("runs-exp"), filter_string=text)
    message = str(caught.value)
    assert message.startswith("filter") and "\n" not in message and len(message) < 300


def test_order_by_metric_and_param(make_run):
    ids = [make_run(metrics={"accuracy": value}, params={"depth": depth}, experiment="sort")
           for value, depth in ((0.7, "b"), (0.9, "c"), (0.8, "a"))]
    eid = experiment_id("sort")

    def order(key):
        return [run["run_id"] for run in queries.list_runs(eid, order_by=key)["runs"]]

    assert order("metrics.accuracy DESC") == [ids[1], ids[2], ids[0]]
    assert order("metrics.accuracy ASC") == [ids[0], ids[2], ids[1]]
    assert order("params.depth ASC") == [ids[2], ids[0], ids[1]]
    assert order("run_name ASC")  # accepted
    for bad in ("metrics.", "accuracy", "start_time UP", "metrics.a;drop", "duration"):
        with pytest.raises(UsageError, match="order_by"):
            queries.list_runs(eid, order_by=bad)


def test_ten_thousand_runs_first_page_is_top_level_only(registry_home):
    """Many runs made cheaply through the store: the first page still holds only
    top-level runs and counts children right (timing lives in benchmarks/)."""
    from mlflow.entities import Metric

    client = store.client()
    eid = store.get_or_create_experiment("big")
    parents = [client.create_run(eid, tags={"mlops.kind": "session"}).info.run_id
               for _ in range(3)]
    sql = client._tracking_client.store
    for index in range(600):
        child = sql.create_run(eid, user_id="t", start_time=index, tags=[], run_name=f"c{index}")
        client.set_tag(child.info.run_id, "mlflow.parentRunId", parents[index % 3])
        client.log_batch(child.info.run_id, metrics=[Metric("m", index, 0, 0)])
    page = queries.list_runs(eid, max_results=50)
    assert sorted(run["run_id"] for run in page["runs"]) == sorted(parents)
    assert [run["child_count"] for run in page["runs"]] == [200, 200, 200]
    children = queries.list_runs(eid, parent=parents[0], max_results=500)
    assert len(children["runs"]) == 200


# --------------------------------------------------------------------- the detail
def test_detail_of_a_failed_step_has_the_error_and_its_traceback(pipeline_home, tmp_path):
    run_id = run_id_of(pipeline_home, pipeline_home.first.steps["evaluate"].run_key)
    detail = RunsService(tmp_path).run_detail(run_id)
    error = detail.error_detail
    assert error.type == "ValueError" and error.message == "threshold must be positive"
    assert error.cell_index is not None
    assert "raise ValueError" in error.traceback and "\x1b[" not in error.traceback
    assert detail.notebooks == ["notebook/evaluate.ipynb"]
    assert detail.parent.run_id == run_id_of(pipeline_home, pipeline_home.first.pipeline_key)
    assert [(item.kind, item.id) for item in detail.related] == [
        ("pipeline", detail.parent.run_id)]


def test_detail_of_a_step_has_metric_history_over_steps(pipeline_home, tmp_path):
    run_id = run_id_of(pipeline_home, pipeline_home.first.steps["prepare"].run_key)
    detail = RunsService(tmp_path).run_detail(run_id)
    points = detail.metric_history["loss"]
    assert [point.step for point in points] == [0, 1, 2, 3]
    assert points[0].value == pytest.approx(1 / 3) and points[3].value == pytest.approx(1 / 6)
    assert detail.step == "prepare" and detail.pipeline == "churn"
    assert [item.kind for item in detail.related] == ["pipeline"]
    assert detail.related[0].id == detail.parent_run_id
    assert detail.error_detail is None


def test_detail_of_a_pipeline_has_git_environment_children(pipeline_home, tmp_path):
    run_id = run_id_of(pipeline_home, pipeline_home.second.pipeline_key)
    detail = RunsService(tmp_path).run_detail(run_id)
    assert detail.git.commit and len(detail.git.commit) == 40
    assert detail.git.branch == "main" and detail.git.dirty is True
    assert "notes.md" in detail.git.diff
    assert detail.environment.python.count(".") == 2
    assert detail.environment.packages["mlflow"].count(".") == 2
    assert detail.child_count == 3 and len(detail.children) == 3
    assert sum(child.cached for child in detail.children) == 2
    assert [item.kind for item in detail.related] == ["job", "pipeline"]
    assert detail.related[0].id == "7"
    paths = {entry.path for entry in detail.artifacts}
    assert "pipeline/pipeline.yaml" in paths and "git/diff.patch" in paths


def test_detail_of_a_cell_run_has_source_fingerprints_and_history(registry_home, tmp_path):
    from mlflow.entities import Metric

    client = store.client()
    eid = store.get_or_create_experiment("cells")
    session = client.create_run(eid, tags={"mlops.kind": "session",
                                           "mlops.env.python": "3.11.7"}).info.run_id
    # A session run's environment: the key tags and every installed package.
    client.log_text(session, "numpy==2.4.6\nscikit-learn==1.9.1\n",
                    "environment/requirements.txt")
    fingerprint = json.dumps({"rows": 150, "columns": 4, "sha256": "ab12"})
    cell = client.create_run(eid, run_name="train", tags={
        "mlflow.parentRunId": session, "mlops.kind": "cell",
        "mlops.cell.execution_count": "3", "mlops.data.frame": fingerprint}).info.run_id
    client.log_batch(cell, metrics=[Metric("loss", 1 / (i + 1), 1000 + i, i) for i in range(4)])
    client.log_text(cell, "frame = load()\nmodel.fit(frame)\n", "cell/source.py")
    client.set_tag(cell, "db_password", "hunter2")
    client.set_tag(cell, "team", "churn")
    client.set_terminated(cell, "FINISHED")

    detail = RunsService(tmp_path).run_detail(cell)
    assert "db_password" not in detail.tags and detail.tags["team"] == "churn"
    assert detail.tags["mlops.kind"] == "cell"
    assert detail.source == "frame = load()\nmodel.fit(frame)\n"
    assert detail.fingerprints == {"frame": fingerprint}
    assert [p.step for p in detail.metric_history["loss"]] == [0, 1, 2, 3]
    assert detail.parent.run_id == session and detail.kind == "cell"
    assert detail.environment is None and detail.git is None
    assert detail.execution_count == 3 and detail.experiment_name == "cells"
    parent = RunsService(tmp_path).run_detail(session)
    assert [child.run_id for child in parent.children] == [cell]
    assert parent.environment.python == "3.11.7"
    assert parent.environment.packages == {"numpy": "2.4.6", "scikit-learn": "1.9.1"}


def test_model_versions_produced_by_a_run(make_run, iris, tmp_path):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlops_jupyter.registry import register_model

    features, target = iris
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target)
    regressor = make_pipeline(StandardScaler(), Ridge()).fit(features, target)
    forest_run = make_run(metrics={"accuracy": 0.9})
    ridge_run = make_run(metrics={"r2": 0.8})
    register_model(forest, "iris-forest", run_id=forest_run)
    register_model(regressor, "iris-ridge", run_id=ridge_run)
    register_model(regressor, "iris-ridge", run_id=ridge_run)

    service = RunsService(tmp_path)
    assert [(v.name, v.version) for v in service.run_detail(forest_run).model_versions] == [
        ("iris-forest", "1")]
    assert [(v.name, v.version) for v in service.run_detail(ridge_run).model_versions] == [
        ("iris-ridge", "1"), ("iris-ridge", "2")]


def test_unknown_and_malformed_run_ids(registry_home, tmp_path):
    service = RunsService(tmp_path)
    with pytest.raises(NotFoundError):
        service.run_detail("0" * 32)
    for bad in ("../etc", "a b", "x" * 65, ""):
        with pytest.raises(UsageError):
            service.run_detail(bad)


# ------------------------------------------------------------ artifacts, notebooks
def test_artifact_bytes_and_path_escapes(pipeline_home, tmp_path):
    service = RunsService(tmp_path)
    run_id = run_id_of(pipeline_home, pipeline_home.first.pipeline_key)
    data, media_type, inline = service.artifact(run_id, "pipeline/pipeline.yaml")
    assert b"name: churn" in data and inline and media_type.startswith("text/plain")
    for bad in ("../secret", "/etc/passwd", "pipeline/../../x", "a\x00b"):
        with pytest.raises(UsageError):
            service.artifact(run_id, bad)
    with pytest.raises(NotFoundError):
        service.artifact(run_id, "pipeline/missing.yaml")


def test_open_notebook_copies_the_executed_notebook_into_the_root(pipeline_home, tmp_path):
    service = RunsService(tmp_path)
    run_id = run_id_of(pipeline_home, pipeline_home.first.steps["evaluate"].run_key)
    reply = service.open_notebook(run_id, "notebook/evaluate.ipynb")
    assert reply.path == f".mlops/runs/{run_id}/evaluate.ipynb"
    notebook = json.loads((tmp_path / reply.path).read_text())
    assert any("threshold must be positive" in json.dumps(cell) for cell in notebook["cells"])
    with pytest.raises(UsageError):
        service.open_notebook(run_id, "pipeline/pipeline.yaml")
    # Served from the project root, the step's own executed notebook is reused.
    in_place = RunsService(pipeline_home.project).open_notebook(run_id, "notebook/evaluate.ipynb")
    assert not in_place.path.startswith(".mlops/")
    assert (pipeline_home.project / in_place.path).is_file()
