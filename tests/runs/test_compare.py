"""Comparing runs of a real MLflow store through the comparison service."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.runs.compare import higher_is_better
from mlops_jupyter.runs.comparison_contracts import CompareRequest
from mlops_jupyter.runs.comparison_service import ComparisonService

from .helpers import make_run


def compare(run_ids, **options):
    return ComparisonService().compare(CompareRequest(run_ids=run_ids, **options)).to_json()


@pytest.fixture
def three_runs(mlops_home):
    return [
        make_run(name="forest", params={"model": "forest", "depth": "5", "data": "v1"},
                 metrics={"accuracy": 0.90, "rmse": 0.30},
                 histories={"loss": [1.0, 0.6, 0.4]}),
        make_run(name="boost", params={"model": "boost", "depth": "5", "data": "v1"},
                 metrics={"accuracy": 0.93, "rmse": 0.25},
                 histories={"loss": [1.1, 0.5, 0.3, 0.2]}),
        make_run(name="linear", params={"model": "linear", "depth": "5", "lr": "0.1",
                                        "data": "v1"},
                 metrics={"accuracy": 0.80}),
    ]


def test_params_columnar_differing_first(three_runs):
    result = compare(three_runs)

    assert [run["run_name"] for run in result["runs"]] == ["forest", "boost", "linear"]
    assert result["baseline"] == 0
    params = {column["key"]: column for column in result["params"]}
    assert params["model"]["values"] == ["forest", "boost", "linear"]
    assert params["model"]["differs"] is True
    assert params["lr"]["values"] == [None, None, "0.1"] and params["lr"]["differs"]
    assert params["depth"]["differs"] is False and params["data"]["differs"] is False
    order = [column["differs"] for column in result["params"]]
    assert order == sorted(order, reverse=True)


def test_metric_deltas_against_a_chosen_baseline_and_best(three_runs):
    result = compare(three_runs, baseline=three_runs[1])

    assert result["baseline"] == 1
    metrics = {column["key"]: column for column in result["metrics"]}
    accuracy = metrics["accuracy"]
    assert accuracy["values"] == [0.90, 0.93, 0.80]
    assert accuracy["deltas"] == pytest.approx([-0.03, 0.0, -0.13])
    assert accuracy["higher_is_better"] is True and accuracy["best"] == 1
    rmse = metrics["rmse"]
    assert rmse["higher_is_better"] is False and rmse["best"] == 1
    assert rmse["values"][2] is None and rmse["deltas"][2] is None
    assert rmse["deltas"][0] == pytest.approx(0.05)


def test_regressor_metrics_are_lower_is_better():
    for key in ("rmse", "val_loss", "mae", "test/error", "mse"):
        assert higher_is_better(key) is False, key
    for key in ("accuracy", "val_auc", "f1", "r2"):
        assert higher_is_better(key) is True, key
    assert higher_is_better("rows") is None


def test_histories_only_for_metrics_over_several_steps(three_runs):
    result = compare(three_runs)

    assert [history["key"] for history in result["histories"]] == ["loss"]
    series = result["histories"][0]["series"]
    assert [s["run_index"] for s in series] == [0, 1]
    assert series[1]["steps"] == [0, 1, 2, 3]
    assert series[1]["values"] == [1.1, 0.5, 0.3, 0.2]
    assert compare(three_runs, histories=False)["histories"] == []


def test_long_histories_are_downsampled(mlops_home):
    long = make_run(histories={"loss": [1 / (step + 1) for step in range(450)]})
    short = make_run(metrics={"loss": 0.1})
    series = compare([long, short])["histories"][0]["series"]
    assert len(series) == 1
    assert len(series[0]["steps"]) == 200
    assert series[0]["steps"][0] == 0 and series[0]["steps"][-1] == 449


def test_group_except_seed_gives_mean_std_and_n(mlops_home):
    runs = []
    for model, scores in (("forest", [0.90, 0.92, 0.94]), ("boost", [0.80, 0.84]),
                          ("tree", [0.70])):
        for seed, score in enumerate(scores):
            runs.append(make_run(params={"model": model, "seed": str(seed)},
                                 metrics={"accuracy": score}))
    result = compare(runs, group_except=["seed"])

    assert result["group_keys"] == ["model"]
    groups = {group["values"]["model"]: group for group in result["groups"]}
    forest, boost = groups["forest"], groups["boost"]
    assert forest["n"] == 3 and forest["run_indices"] == [0, 1, 2]
    assert forest["metrics"]["accuracy"]["mean"] == pytest.approx(0.92)
    assert forest["metrics"]["accuracy"]["std"] == pytest.approx(0.02)
    assert groups["tree"]["n"] == 1
    assert groups["tree"]["metrics"]["accuracy"]["std"] is None  # one run: no spread
    assert forest["metrics"]["accuracy"]["n"] == 3
    assert boost["n"] == 2 and boost["metrics"]["accuracy"]["mean"] == pytest.approx(0.82)

    by_seed = compare(runs, group_by=["seed"])
    assert {group["values"]["seed"]: group["n"] for group in by_seed["groups"]} == {
        "0": 3, "1": 2, "2": 1}
    assert compare(runs)["groups"] == []


def test_bad_requests(three_runs):
    with pytest.raises(UsageError, match="listed twice"):
        compare([three_runs[0], three_runs[0]])
    with pytest.raises(UsageError, match="not a run id"):
        compare([three_runs[0], "../etc"])
    with pytest.raises(UsageError, match="baseline"):
        compare(three_runs[:2], baseline=three_runs[2])
    with pytest.raises(UsageError, match="group_by"):
        compare(three_runs, group_by=["nothing"])
    with pytest.raises(UsageError, match="not both"):
        compare(three_runs, group_by=["model"], group_except=["seed"])
    with pytest.raises(NotFoundError, match="run 0123456789abcdef012… does not exist"):
        compare([three_runs[0], "0123456789abcdef0123456789abcdef"])


def test_at_most_1000_runs(mlops_home):
    ids = [f"{index:032x}" for index in range(1001)]
    with pytest.raises(ValidationError):
        CompareRequest(run_ids=ids)
    assert len(CompareRequest(run_ids=ids[:1000]).run_ids) == 1000


def test_hundreds_of_runs_in_bulk(mlops_home):
    from mlops_jupyter.tracking import store

    client = store.client()
    experiment_id = store.get_or_create_experiment("many")
    from mlflow.entities import Metric, Param

    ids = []
    for index in range(250):
        run_id = client.create_run(experiment_id).info.run_id
        client.log_batch(run_id, metrics=[Metric("score", index / 1000, 0, 0)],
                         params=[Param("seed", str(index % 5)), Param("fixed", "x")])
        ids.append(run_id)
    result = compare(ids, group_by=["seed"], histories=True)

    assert [run["run_id"] for run in result["runs"]] == ids
    score = result["metrics"][0]
    assert score["values"][249] == pytest.approx(0.249) and score["best"] == 249
    assert [group["n"] for group in result["groups"]] == [50] * 5
    assert result["histories"] == []


def test_the_public_api_path_reads_the_same_runs(three_runs):
    """Stores other than MLflow's SQL store are read through search_runs and
    get_metric_history; both paths give the same comparison."""
    from mlops_jupyter.runs import compare as compare_module
    from mlops_jupyter.runs import sql_bulk
    from mlops_jupyter.tracking import store

    client = store.client()
    bulk = sql_bulk.read_runs(sql_bulk.sql_store(client), three_runs)
    searched = compare_module._search_runs(client, three_runs)
    for run_id in three_runs:
        assert bulk[run_id].data.params == searched[run_id].data.params
        assert bulk[run_id].data.metrics == searched[run_id].data.metrics
        assert bulk[run_id].info.run_name == searched[run_id].info.run_name
        assert bulk[run_id].info.experiment_id == searched[run_id].info.experiment_id
    threaded = compare_module._threaded_points(client, three_runs, "loss")
    read = sql_bulk.read_histories(sql_bulk.sql_store(client), three_runs, ["loss"], 1000)
    assert {run_id: rows for run_id, rows in threaded.items() if len(rows) > 1} == read["loss"]
