"""Drift checks on serving data: the inference log as the current data, live rules."""

from __future__ import annotations

import json
import time
import uuid

import numpy as np
import pytest

from mlops_jupyter import cli
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.inference.log import RequestRecord, write_records
from mlops_jupyter.monitoring import records
from mlops_jupyter.monitoring.checks import run_check
from mlops_jupyter.monitoring.live import TAG_LIVE_PROMOTION
from mlops_jupyter.monitoring.references import build_profile
from mlops_jupyter.monitoring.spec import load_monitor, parse_monitor
from mlops_jupyter.registry import register_model
from mlops_jupyter.tracking import store

ROWS = 10


@pytest.fixture
def served(registry_home, make_run, iris_model, iris):
    """``iris`` v1 = champion (its features + prediction as reference) and
    ``log(...)``: write requests of 10 rows each to the inference log, as an endpoint
    would, optionally drifted, slow, failing or labelled."""
    features, _ = iris
    reference = features.assign(prediction=iris_model.predict(features))
    register_model(iris_model, "iris", run_id=make_run(), alias="champion",
                   reference=build_profile(reference, prediction_column="prediction"))

    def log(*, drifted=False, latency_ms=5.0, failing=0, labels=None, requests=15, seed=0):
        rows = features.sample(n=requests * ROWS, replace=True, random_state=seed)
        rows = rows.reset_index(drop=True)
        if drifted:
            for column in features.columns[:3]:
                rows[column] = rows[column] + 3 * features[column].std()
        predictions = iris_model.predict(rows)
        out, feedback = [], []
        now = time.time()
        for index in range(requests):
            part = rows.iloc[index * ROWS:(index + 1) * ROWS].reset_index(drop=True)
            rid = uuid.uuid4().hex
            error = index < failing
            out.append(RequestRecord(
                rid, now - index, "iris", "champion", "1", "champion", latency_ms,
                500 if error else 200, "model raised" if error else None, part,
                None if error else [int(p) for p in predictions[index * ROWS:
                                                                (index + 1) * ROWS]]))
            if labels is not None and not error:
                for row in range(ROWS):
                    truth = predictions[index * ROWS + row]
                    wrong = labels == "half" and row % 2 == 0
                    feedback.append((rid, int((truth + 1) % 3 if wrong else truth), row))
        write_records("iris", out, feedback=feedback)
        return out

    return log


def spec(tmp_path, rules=(), last="1h"):
    return parse_monitor({"model": "iris", "current": {"serving": "iris", "last": last},
                          "rules": list(rules)}, tmp_path)


def test_undrifted_and_drifted_traffic(served, tmp_path):
    served()
    outcome = run_check(spec(tmp_path), report=False)
    assert outcome["result"]["dataset_drift"] is False
    assert outcome["current"] == "serving:iris last 1h"
    assert outcome["result"]["current_rows"] == 150
    assert outcome["result"]["prediction"]["drifted"] is False
    assert outcome["live"]["requests"] == 15 and outcome["live"]["error_rate"] == 0
    assert "no labels yet" in outcome["live"]["notes"]
    assert outcome["live_promotion"] is None  # no live rule declared
    run = store.client().get_run(outcome["run_id"])
    assert run.data.tags[records.TAG_CURRENT] == "serving:iris last 1h"
    assert run.data.metrics["live_requests"] == 15
    assert run.data.metrics["live_error_rate"] == 0
    assert run.data.metrics["live_p95_ms"] == pytest.approx(5.0)
    assert "live_accuracy" not in run.data.metrics
    assert TAG_LIVE_PROMOTION not in run.data.tags

    served(drifted=True, seed=1)
    outcome = run_check(spec(tmp_path), report=False)  # the window now holds both
    assert outcome["result"]["current_rows"] == 300
    drifted = run_check(spec(tmp_path, [{"name": "drift", "drift_share_above": 0.3}]),
                        report=False)
    assert drifted["result"]["share_of_drifted_columns"] > 0.3
    assert [alert["rule"] for alert in drifted["alerts"]] == ["drift"]


def test_only_drifted_traffic_drifts(served, tmp_path):
    served(drifted=True)
    outcome = run_check(spec(tmp_path), report=False)
    assert outcome["result"]["dataset_drift"] is True
    assert "petal length (cm)" in [c for c, v in outcome["result"]["columns"].items()
                                   if v["drifted"]]


LIVE_RULES = [{"name": "slow", "latency_p95_above": 250},
              {"name": "failing", "error_rate_above": 0.05}]


def test_latency_and_error_rules_fire(served, tmp_path):
    served(latency_ms=400.0, failing=3)
    outcome = run_check(spec(tmp_path, LIVE_RULES), report=False)
    fired = {alert["rule"]: alert["message"] for alert in outcome["alerts"]}
    assert set(fired) == {"slow", "failing"}
    assert fired["slow"].startswith("p95 latency 400 ms over 15 requests")
    assert fired["failing"].startswith("error rate 20.0% (3 of 15 requests")
    run = store.client().get_run(outcome["run_id"])
    assert run.data.metrics["live_error_rate"] == pytest.approx(0.2)
    assert run.data.metrics["alerts"] == 2


def test_latency_and_error_rules_stay_quiet(served, tmp_path):
    served(latency_ms=20.0)
    outcome = run_check(spec(tmp_path, LIVE_RULES), report=False)
    assert outcome["alerts"] == []


def test_metric_below_from_feedback_labels(served, tmp_path):
    rules = [{"name": "accuracy-drop", "metric_below": {"accuracy": 0.9}}]
    served()
    unlabelled = run_check(spec(tmp_path, rules), report=False)
    assert unlabelled["alerts"] == [] and unlabelled["performance"] == {}
    assert "metric_below (accuracy): no labels yet" in unlabelled["live"]["notes"]

    served(labels="half", seed=2)
    outcome = run_check(spec(tmp_path, rules), report=False)
    assert outcome["performance"]["accuracy"] == pytest.approx(0.5)
    assert [alert["rule"] for alert in outcome["alerts"]] == ["accuracy-drop"]
    assert outcome["live"]["labelled"] == 150
    run = store.client().get_run(outcome["run_id"])
    assert run.data.metrics["performance/accuracy"] == pytest.approx(0.5)
    assert run.data.metrics["live_accuracy"] == pytest.approx(0.5)


def test_empty_window_is_one_line_and_records_nothing(served, tmp_path):
    with pytest.raises(UsageError, match="^no requests logged for iris in the last 1h$"):
        run_check(spec(tmp_path), report=False)
    assert records.search_checks(store.client(), "iris") == []


@pytest.mark.parametrize("current,message", [
    ({"serving": "other"}, "current.serving: 'other' is not the monitored model 'iris'"),
    ({"serving": ""}, "current.serving: name the served model (iris)"),
    ({"serving": "iris", "last": "forever"}, "current.last: a duration is a positive"),
    ({"serving": "iris", "last": 5}, "current.last: a duration such as 1h"),
    ({"serving": "iris", "since": "1h"}, "current: unknown field(s) since"),
])
def test_bad_serving_current(tmp_path, current, message):
    with pytest.raises(UsageError) as error:
        parse_monitor({"model": "iris", "current": current}, tmp_path)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("rule,message", [
    ({"name": "slow", "latency_p95_above": -1}, ("rules[0].latency_p95_above: expected "
                                                "milliseconds > 0")),
    ({"name": "slow", "latency_p95_above": True}, "rules[0].latency_p95_above"),
    ({"name": "err", "error_rate_above": 1.5}, ("rules[0].error_rate_above: expected a number "
                                               "between 0 and 1")),
])
def test_bad_live_rules(tmp_path, rule, message):
    with pytest.raises(UsageError) as error:
        spec(tmp_path, [rule])
    assert str(error.value).startswith(message)


def test_live_rules_refuse_file_data(served, tmp_path, iris):
    (tmp_path / "current.csv").write_text("a\n1\n")
    with pytest.raises(UsageError, match="rule 'slow': latency_p95_above needs serving data"):
        parse_monitor({"model": "iris", "current": "current.csv",
                       "rules": LIVE_RULES[:1]}, tmp_path)
    # a spec without current data, given a file at check time: refused as well
    bare = parse_monitor({"model": "iris", "rules": LIVE_RULES[1:]}, tmp_path)
    with pytest.raises(UsageError, match="error_rate_above needs serving data"):
        run_check(bare, current=iris[0], report=False)


def test_monitor_file_with_serving_current(served, tmp_path):
    served()
    (tmp_path / "monitor.yaml").write_text(
        "monitor:\n  model: iris@champion\n  current: {serving: iris, last: 30m}\n")
    loaded = load_monitor(tmp_path / "monitor.yaml")
    assert (loaded.serving, loaded.last, loaded.current) == ("iris", "30m", None)
    assert run_check(loaded, report=False)["current"] == "serving:iris last 30m"


def test_cli_serving(served, tmp_path, capsys):
    served(latency_ms=12.0)
    assert cli.main(["drift", "check", "iris", "--serving", "--last", "1h",
                     "--no-report"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("iris")
    assert "live (serving:iris last 1h): 15 requests, error rate 0.0%, p95 12.0 ms" in out
    assert cli.main(["drift", "check", "--serving", "iris", "--no-report", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["current"] == "serving:iris last 24h" and data["live"]["requests"] == 15
    (tmp_path / "monitor.yaml").write_text(
        "monitor:\n  model: iris\n  rules:\n    - {name: slow, latency_p95_above: 10}\n")
    assert cli.main(["drift", "check", str(tmp_path / "monitor.yaml"), "--serving",
                     "--no-report"]) == 0
    assert "ALERT slow: p95 latency 12 ms" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["iris", "--serving", "--last", "1h"], "no requests logged for iris in the last 1h"),
    (["iris", "--serving", "--last", "soon"], "--last: a duration is a positive number"),
    (["iris", "--last", "1h"], "--last goes with --serving"),
    (["iris", "--serving", "--current", "x.csv"], ("give --current FILE or --serving, not "
                                                  "both")),
    (["--serving", "other", "--model", "iris"], "--serving 'other' is not the checked model"),
    (["--serving"], "name the model: mlops drift check MODEL --serving"),
])
def test_cli_serving_errors(registry_home, make_run, iris_model, capsys, args, message):
    register_model(iris_model, "iris", run_id=make_run(), alias="champion")
    assert cli.main(["drift", "check", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"mlops: error: {message}")
    assert captured.err.count("\n") == 1


def test_unlabelled_rows_and_nan_inputs(served, tmp_path, iris):
    """A request with NaN in a feature still counts; drift skips nothing it can use."""
    features, _ = iris
    part = features.head(ROWS).copy()
    part.iloc[0, 0] = np.nan
    write_records("iris", [RequestRecord("r-nan", time.time(), "iris", "champion", "1",
                                         "champion", 3.0, 200, None, part, [0] * ROWS)])
    served()
    outcome = run_check(spec(tmp_path), report=False)
    assert outcome["live"]["requests"] == 16 and outcome["result"]["current_rows"] == 160


def test_notebook_functions(served):
    from mlops_jupyter import api

    served()
    outcome = api.check_live("iris@champion", last="1h", report=False)
    assert outcome["current"] == "serving:iris last 1h" and outcome["live"]["requests"] == 15
    result = api.ab_test("iris", last="1h")
    assert result["variants"]["champion"]["requests"] == 15
    assert result["verdict"] == "no challenger or shadow traffic in the window"
    with pytest.raises(UsageError, match="^last: a duration"):
        api.check_live("iris", last="1 week")
