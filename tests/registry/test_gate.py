"""The promotion gate: thresholds, champion comparison, force, refusal records."""

from __future__ import annotations

import threading

import pytest

from mlops_jupyter.exceptions import ConflictError, NotFoundError, UsageError
from mlops_jupyter.registry import alias_history, evaluate_gate, parse_threshold, promote
from mlops_jupyter.registry.safety import load_pyfunc
from mlops_jupyter.tracking import store


def _holder(name, alias="champion"):
    held = store.client().get_registered_model(name).aliases.get(alias)
    return None if held is None else str(held)


@pytest.mark.parametrize("text,expected", [
    ("accuracy >= 0.9", ("accuracy", ">=", 0.9)), ("rmse<=3", ("rmse", "<=", 3.0)),
    (" f1 > .5 ", ("f1", ">", 0.5)), ("loss < 1e-2", ("loss", "<", 0.01)),
    ("val/auc == 1", ("val/auc", "==", 1.0))])
def test_parse_threshold(text, expected):
    parsed = parse_threshold(text)
    assert (parsed.metric, parsed.op, parsed.value) == expected


@pytest.mark.parametrize("text", ["accuracy", "accuracy >= ", ">= 0.9", "accuracy => 0.9",
                                  "accuracy >= high", "accuracy >= 0.9; rm -rf /", "",
                                  "accuracy != 1", "acc >= inf", None])
def test_malformed_expression_named(text):
    with pytest.raises(UsageError, match="malformed gate expression"):
        parse_threshold(text)


def test_thresholds_pass_and_fail(registered):
    registered("iris", metrics={"accuracy": 0.95, "rmse": 2.0})
    verdict = evaluate_gate("iris", 1, thresholds=["accuracy >= 0.9", "rmse <= 3"])
    assert verdict["passed"] and verdict["reasons"] == [] and len(verdict["checks"]) == 2
    verdict = evaluate_gate("iris", 1, thresholds=["accuracy >= 0.99", "rmse <= 3"])
    assert not verdict["passed"]
    assert verdict["reasons"] == ["accuracy = 0.95 fails accuracy >= 0.99"]


def test_threshold_on_missing_metric_is_a_failing_check(registered):
    registered("iris", metrics={"accuracy": 0.95})
    verdict = evaluate_gate("iris", 1, thresholds=["auc >= 0.8"])
    assert not verdict["passed"]
    assert "has no metric 'auc'" in verdict["reasons"][0]


def test_unknown_model_or_version(registered):
    registered("iris")
    with pytest.raises(NotFoundError):
        evaluate_gate("nope", 1, thresholds=[])
    with pytest.raises(NotFoundError):
        promote("iris", 5, thresholds=[])


def test_promote_pass_refuse_force(registered):
    registered("iris", metrics={"accuracy": 0.95})
    registered("iris", metrics={"accuracy": 0.80})
    result = promote("iris", 1, thresholds=["accuracy >= 0.9"], actor="ana")
    assert result["promoted"] and _holder("iris") == "1"

    refused = promote("iris", 2, thresholds=["accuracy >= 0.9"], actor="bo")
    assert not refused["promoted"] and _holder("iris") == "1"
    assert any("fails accuracy >= 0.9" in r for r in refused["verdict"]["reasons"])
    # compared with the champion on run metrics too: 0.80 does not beat 0.95
    assert any("does not beat" in r for r in refused["verdict"]["reasons"])
    assert "mlops.gate.last_verdict" not in store.client().get_model_version("iris", "2").tags

    with pytest.raises(UsageError, match="requires a reason"):
        promote("iris", 2, thresholds=["accuracy >= 0.9"], force=True, reason="  ")
    assert _holder("iris") == "1"

    forced = promote("iris", 2, thresholds=["accuracy >= 0.9"], force=True,
                     reason="hotfix for the holiday traffic", actor="cy")
    assert forced["promoted"] and _holder("iris") == "2"
    history = alias_history("iris", "champion")
    assert [(e["action"], e["to_version"], e["forced"]) for e in history] == [
        ("set", "1", False), ("refused", "2", False), ("forced", "2", True)]
    assert history[2]["reason"] == "hotfix for the holiday traffic"
    assert history[2]["gate"]["passed"] is False


def test_malformed_threshold_in_promote_changes_nothing(registered):
    registered("iris")
    with pytest.raises(UsageError, match="malformed gate expression 'accuracy >> 1'"):
        promote("iris", 1, thresholds=["accuracy >= 0.5", "accuracy >> 1"])
    assert _holder("iris") is None and alias_history("iris", "champion") == []


def test_champion_comparison_with_evaluation_callback(registered, iris):
    from sklearn.linear_model import LogisticRegression

    from mlops_jupyter.registry import register_model

    features, target = iris
    registered("iris", metrics={"accuracy": 0.99})  # v1: the real model
    weak_full = LogisticRegression(C=1e-4, max_iter=50).fit(features, target)
    register_model(weak_full, "iris", experiment="training")  # v2: underfit
    assert promote("iris", 1, thresholds=[])["promoted"]

    calls = []

    def evaluate(model_uri):
        calls.append(model_uri)
        model = load_pyfunc(model_uri)
        return float((model.predict(features) == target).mean())

    verdict = evaluate_gate("iris", 2, thresholds=[], margin=0.01, evaluate=evaluate)
    assert calls == ["models:/iris/2", "models:/iris/1"]
    assert not verdict["passed"]
    assert verdict["scores"]["source"] == "evaluation"
    assert verdict["scores"]["holder"] > verdict["scores"]["candidate"]
    # the other way round (v1 challenging v2 as champion) passes on the same data
    promote("iris", 2, thresholds=[], force=True, reason="test setup")
    result = promote("iris", 1, thresholds=[], margin=0.01, evaluate=evaluate)
    assert result["promoted"] and _holder("iris") == "1"
    logged = alias_history("iris", "champion")[-1]["gate"]["scores"]
    assert logged["candidate"] > logged["holder"]


def test_lower_is_better_and_missing_comparison_metric(registered):
    registered("m", metrics={"rmse": 3.0})
    registered("m", metrics={"rmse": 2.5})
    registered("m", metrics={"other": 1.0})
    promote("m", 1, thresholds=["rmse <= 5"], metric="rmse", higher_is_better=False)
    ok = evaluate_gate("m", 2, thresholds=[], metric="rmse", higher_is_better=False, margin=0.2)
    assert ok["passed"]
    too_small = evaluate_gate("m", 2, thresholds=[], metric="rmse", higher_is_better=False,
                              margin=1.0)
    assert not too_small["passed"]
    missing = evaluate_gate("m", 3, thresholds=[], metric="rmse", higher_is_better=False)
    assert not missing["passed"] and "has no metric 'rmse'" in missing["reasons"][0]
    with pytest.raises(UsageError, match="margin"):
        evaluate_gate("m", 2, thresholds=[], margin=-1)


def test_concurrent_promotions_through_the_gate(registered):
    registered("iris", metrics={"accuracy": 0.90})
    registered("iris", metrics={"accuracy": 0.95})
    registered("iris", metrics={"accuracy": 0.96})
    promote("iris", 1, thresholds=[])
    barrier = threading.Barrier(2)
    outcomes = {}

    def evaluate(model_uri):
        barrier.wait(20)  # both gates are under way before either moves the alias
        return {"models:/iris/1": 0.9, "models:/iris/2": 0.95, "models:/iris/3": 0.96}[model_uri]

    def run(version):
        try:
            outcomes[version] = promote("iris", version, thresholds=["accuracy >= 0.9"],
                                        evaluate=evaluate)["promoted"]
        except ConflictError as exc:
            outcomes[version] = str(exc)

    threads = [threading.Thread(target=run, args=(v,)) for v in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [v for v, outcome in outcomes.items() if outcome is True]
    losers = [v for v, outcome in outcomes.items() if isinstance(outcome, str)]
    assert len(winners) == 1 and len(losers) == 1
    assert "moved by someone else" in outcomes[losers[0]]
    assert _holder("iris") == str(winners[0])
    assert [e["to_version"] for e in alias_history("iris", "champion")] == ["1", str(winners[0])]
