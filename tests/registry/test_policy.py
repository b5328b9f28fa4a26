"""Declared gates: parsing, storage, and scoring both versions on an evaluation dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.registry import alias_history, evaluate_gate, promote, register_model
from mlops_jupyter.registry.policy import (
    GatePolicy,
    declare_policy,
    declared_policy,
    parse_policy,
)
from mlops_jupyter.tracking import store

VALID = {"thresholds": ["accuracy >= 0.9"], "metric": "accuracy", "margin": 0.01,
         "evaluation": {"data": "data/eval.csv", "target": "target"}}


def test_parse_resolves_the_dataset_inside_the_folder(tmp_path):
    policy = parse_policy(VALID, base_dir=str(tmp_path))
    assert policy.thresholds == ["accuracy >= 0.9"] and policy.margin == 0.01
    assert policy.evaluation.data == os.path.realpath(tmp_path / "data" / "eval.csv")
    assert policy.public_dict()["evaluation"]["data"] == "eval.csv"
    assert parse_policy({"metric": "rmse"}).higher_is_better is False


@pytest.mark.parametrize("raw,message", [
    ("accuracy >= 0.9", "expected a mapping"),
    ({"treshold": ["a >= 1"]}, "unknown field(s) treshold"),
    ({"thresholds": ["accuracy => 0.9"]}, "malformed gate expression"),
    ({"thresholds": 0.9}, "thresholds must be a list"),
    ({"margin": -1}, "margin must be a finite number >= 0"),
    ({"margin": "a lot"}, "margin must be"),
    ({"metric": ""}, "metric must be"),
    ({"higher_is_better": "yes"}, "higher_is_better must be true or false"),
    ({"evaluation": {"data": "d.csv"}}, "target must name the label column"),
    ({"evaluation": {"data": "d.json", "target": "y"}}, "must be a .csv or .parquet"),
    ({"evaluation": {"data": "../d.csv", "target": "y"}}, "inside the pipeline folder"),
    ({"evaluation": {"data": "/etc/d.csv", "target": "y"}}, "inside the pipeline folder"),
    ({"evaluation": {"data": "d.csv", "target": "y", "rows": 5}}, "unknown field(s) rows"),
    ({"metric": "roc_auc", "evaluation": {"data": "d.csv", "target": "y"}},
     "cannot be computed on a dataset"),
])
def test_malformed_policies_are_one_clear_line(tmp_path, raw, message):
    with pytest.raises(UsageError) as caught:
        parse_policy(raw, base_dir=str(tmp_path), where="gate.iris")
    assert message in str(caught.value) and str(caught.value).startswith("gate.iris")
    assert "\n" not in str(caught.value)


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "link").symlink_to(tmp_path)
    with pytest.raises(UsageError, match="leaves the pipeline folder"):
        parse_policy({"evaluation": {"data": "link/x.csv", "target": "y"}},
                     base_dir=str(tmp_path / "project"))


@pytest.fixture
def iris_eval(tmp_path, iris):
    features, target = iris
    frame = features.assign(target=target)
    path = tmp_path / "iris-eval.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def weak_model(iris):
    from sklearn.dummy import DummyClassifier

    features, target = iris
    return DummyClassifier(strategy="most_frequent").fit(features, target)


def _evaluated_policy(path, **fields):
    return parse_policy({"metric": "accuracy", **fields,
                         "evaluation": {"data": str(path), "target": "target"}})


def test_declared_gate_scores_both_versions_on_the_dataset_and_logs_it(
        registry_home, make_run, iris_model, weak_model, iris_eval):
    declare_policy("iris", _evaluated_policy(iris_eval))
    strong = register_model(iris_model, "iris", run_id=make_run(metrics={"accuracy": 0.9}))
    assert promote("iris", strong["version"])["promoted"]  # no champion yet: nothing to beat
    # The weak model's own run claims a better accuracy; the dataset says otherwise.
    weak = register_model(weak_model, "iris", run_id=make_run(metrics={"accuracy": 0.99}))
    outcome = promote("iris", weak["version"])
    assert not outcome["promoted"]
    verdict = outcome["verdict"]
    assert verdict["declared"] and verdict["policy"]["evaluation"]["data"] == "iris-eval.csv"
    scores = verdict["scores"]
    assert scores["source"] == "evaluation"
    assert scores["candidate"] == pytest.approx(1 / 3) and scores["holder"] > 0.9
    assert "does not beat" in verdict["reasons"][0]
    assert store.client().get_registered_model("iris").aliases["champion"] == 1
    # Both scores are logged as a run of the mlops-gate experiment.
    experiment = store.client().get_experiment_by_name("mlops-gate")
    (run,) = store.client().search_runs([experiment.experiment_id],
                                        filter_string="tags.`mlops.gate.passed` = 'false'")
    assert run.data.metrics["candidate_accuracy"] == pytest.approx(1 / 3)
    assert run.data.params["holder"] == "1" and run.data.params["dataset"] == "iris-eval.csv"
    assert scores["run_id"] == run.info.run_id
    refused = [e for e in alias_history("iris", "champion") if e["action"] == "refused"]
    assert refused and refused[-1]["gate"]["scores"]["candidate"] == pytest.approx(1 / 3)


def test_declared_thresholds_apply_and_arguments_override_them(registry_home, registered):
    declare_policy("iris", GatePolicy(thresholds=["accuracy >= 0.99"]))
    registered(metrics={"accuracy": 0.95})
    verdict = evaluate_gate("iris", 1)
    assert not verdict["passed"] and "accuracy = 0.95 fails accuracy >= 0.99" in \
        verdict["reasons"][0]
    assert evaluate_gate("iris", 1, thresholds=["accuracy >= 0.9"])["passed"]
    assert declared_policy("iris").thresholds == ["accuracy >= 0.99"]


def test_a_declared_threshold_on_a_missing_metric_refuses(registry_home, registered):
    declare_policy("iris", GatePolicy(thresholds=["f1 >= 0.5"]))
    registered(metrics={"accuracy": 0.95})
    outcome = promote("iris", 1)
    assert not outcome["promoted"] and "has no metric 'f1'" in outcome["verdict"]["reasons"][0]


def test_an_unreadable_evaluation_dataset_is_a_clear_error(registry_home, registered,
                                                           tmp_path):
    bad = tmp_path / "eval.csv"
    bad.write_text("a,b\n1,2\n")
    declare_policy("iris", _evaluated_policy(bad))
    registered()
    registered()
    promote("iris", 1)
    with pytest.raises(UsageError, match="has no target column 'target'"):
        promote("iris", 2)
    bad.unlink()
    with pytest.raises(UsageError, match="eval.csv does not exist"):
        evaluate_gate("iris", 2, score=True)  # a preview scores only when asked
    assert [e["to_version"] for e in alias_history("iris", "champion")] == ["1"]


def test_declaring_for_an_unknown_model_creates_it_but_reading_one_does_not(registry_home):
    with pytest.raises(NotFoundError):
        declared_policy("nobody")
    declare_policy("fresh", GatePolicy(thresholds=["accuracy >= 0.5"]))
    assert declared_policy("fresh").thresholds == ["accuracy >= 0.5"]


def mlops(home, *args):
    env = dict(os.environ, MLOPS_JUPYTER_HOME=str(home))
    # MLFLOW_TRACKING_URI is inherited: the store the test filled (see mlops_home)
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", "models", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_cli_declares_shows_and_previews_the_gate(registry_home, registered, iris_eval):
    registered(metrics={"accuracy": 0.95})
    none = mlops(registry_home, "gate", "iris")
    assert none.returncode == 0 and "no gate declared" in none.stdout
    declared = mlops(registry_home, "gate", "iris", "--set", "--threshold", "accuracy >= 0.9",
                     "--margin", "0.02", "--data", str(iris_eval), "--target", "target")
    assert declared.returncode == 0, declared.stderr
    shown = mlops(registry_home, "gate", "iris", "--json")
    policy = json.loads(shown.stdout)["policy"]
    assert policy["thresholds"] == ["accuracy >= 0.9"] and policy["margin"] == 0.02
    preview = mlops(registry_home, "gate", "iris", "--version", "1")
    assert preview.returncode == 0 and "gate passes" in preview.stdout
    assert "accuracy = 0.95 meets accuracy >= 0.9" in preview.stdout
    assert store.client().get_registered_model("iris").aliases == {}  # changed nothing
    bad = mlops(registry_home, "gate", "iris", "--set", "--data", str(iris_eval))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "target must name the label column" in bad.stderr


@pytest.mark.parametrize("check,value", [
    ("registry", "iris\n"), ("alias", "champion\n"), ("run_id", "run-1\n"),
    ("log_key", "loss\n")])
def test_a_trailing_newline_is_not_a_valid_name(check, value):
    from mlops_jupyter import names

    validate = {"registry": names.check_model_name, "alias": names.check_alias,
                "run_id": lambda v: names.check_run_id(v, "--run-id"),
                "log_key": names.check_tracked_key}[check]
    with pytest.raises(UsageError):
        validate(value)
