"""The gate's live rule: policy parsing, the live check, evidence, automatic promotion."""

from __future__ import annotations

import json
import time
import uuid

import numpy as np
import pytest

from mlops_jupyter import cli
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.inference.log import RequestRecord, write_records
from mlops_jupyter.registry import alias_history, evaluate_gate, promote, register_model
from mlops_jupyter.registry.policy import (
    GatePolicy,
    LiveRule,
    declare_policy,
    declared_policy,
    parse_policy,
)
from mlops_jupyter.serving.ab import promote_if_winner
from mlops_jupyter.tracking import store

LIVE = {"min_requests": 200, "beats_champion": "accuracy", "p_value": 0.05, "window": "1h"}


def test_live_rule_parses_with_defaults():
    policy = parse_policy({"thresholds": ["accuracy >= 0.5"], "live": {}})
    assert policy.live == LiveRule(500, "accuracy", 0.05, "24h", "champion")
    policy = parse_policy({"live": {**LIVE, "alias": "prod"}})
    assert policy.live == LiveRule(200, "accuracy", 0.05, "1h", "prod")
    assert parse_policy({}).live is None
    assert policy.public_dict()["live"]["window"] == "1h"


@pytest.mark.parametrize("live,message", [
    ({"min_requests": 0}, "min_requests must be a whole number >= 1"),
    ({"min_requests": "many"}, "min_requests must be a whole number >= 1"),
    ({"min_requests": True}, "min_requests must be a whole number >= 1"),
    ({"min_requests": 2.5}, "min_requests must be a whole number >= 1"),
    ({"beats_champion": "rmse"}, "beats_champion: 'rmse' cannot be measured on live"),
    ({"p_value": 1.5}, "p_value must be a number between 0 and 1"),
    ({"p_value": 0}, "p_value must be a number between 0 and 1"),
    ({"window": "forever"}, "window: a duration is a positive number"),
    ({"window": 24}, "window must be a duration"),
    ({"alias": "no spaces!"}, "alias:"),
    ({"min_request": 5}, "unknown field(s) min_request"),
    ("yes", "expected a mapping like {min_requests"),
])
def test_bad_live_rule_is_named(live, message):
    with pytest.raises(UsageError) as error:
        parse_policy({"live": live}, where="gate.rf")
    assert str(error.value).startswith(f"gate.rf.live: {message}")


@pytest.fixture(scope="module")
def forest(breast_cancer):
    from sklearn.ensemble import RandomForestClassifier

    features, target = breast_cancer
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(features, target)


@pytest.fixture
def rf(registry_home, make_run, forest, breast_cancer):
    """RandomForest ``rf``: v1 champion, v2 (better run metric), live rule declared."""
    from mlops_jupyter.monitoring.references import build_profile

    features, _ = breast_cancer
    register_model(forest, "rf", run_id=make_run(metrics={"accuracy": 0.90}),
                   alias="champion", reference=build_profile(features))
    register_model(forest, "rf", run_id=make_run(metrics={"accuracy": 0.92}),
                   reference=build_profile(features))
    declare_policy("rf", parse_policy({"live": LIVE}))
    return "rf"


def live_traffic(model, version, variant, n, accuracy, *, seed, ids=None, labels=None,
                 features=None):
    """``n`` one-row requests answered by ``variant`` ``version``, labelled, exactly
    ``accuracy`` of them right."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n) if labels is None else labels
    right = np.zeros(n, dtype=bool)
    right[rng.permutation(n)[:round(accuracy * n)]] = True
    predictions = np.where(right, truth, 1 - truth)
    ids = ids or [uuid.uuid4().hex for _ in range(n)]
    now = time.time()
    records = [RequestRecord(rid, now - i * 0.01, model, variant, version, variant, 4.0, 200,
                             None, None if features is None else features.iloc[[i % len(
                                 features)]].reset_index(drop=True), [int(p)])
               for i, (rid, p) in enumerate(zip(ids, predictions))]
    write_records(model, records, feedback=[(rid, int(t)) for rid, t in zip(ids, truth)])
    return ids, truth


def _live_check(verdict):
    return [check for check in verdict["checks"] if check["kind"] == "live"]


def test_live_check_passes_for_a_clear_winner(rf):
    live_traffic("rf", "1", "champion", 300, 0.80, seed=1)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=2)
    verdict = evaluate_gate("rf", 2)
    (check,) = _live_check(verdict)
    assert check["passed"] and verdict["passed"]
    assert check["reason"].startswith(
        "live accuracy v2 0.950 vs champion v1 0.800 on 300 labelled requests as "
        "challenger (last 1h), p = ")
    evidence = verdict["scores"]["live"]
    assert evidence["labelled_requests"] == 300 and evidence["p_value"] < 0.05
    assert evidence["candidate_accuracy"] == pytest.approx(0.95)
    assert evidence["holder_accuracy"] == pytest.approx(0.80)
    # the live rule guards champion only
    assert _live_check(evaluate_gate("rf", 2, compare_to="challenger")) == []


def test_live_check_fails_with_too_few_requests_or_no_win(rf):
    live_traffic("rf", "1", "champion", 150, 0.80, seed=3)
    live_traffic("rf", "2", "challenger", 150, 0.95, seed=4)
    (check,) = _live_check(evaluate_gate("rf", 2))
    assert not check["passed"]
    assert "on 150 labelled requests" in check["reason"]
    assert "needs >= 200 labelled requests" in check["reason"]
    live_traffic("rf", "2", "challenger", 150, 0.80, seed=5)  # now 300: 0.875 vs 0.80
    live_traffic("rf", "1", "champion", 150, 0.95, seed=6)    # champion 0.875 as well
    verdict = evaluate_gate("rf", 2)
    (check,) = _live_check(verdict)
    assert not check["passed"] and not verdict["passed"]
    assert "does not beat it" in check["reason"]


def test_no_traffic_is_a_failing_live_check(rf):
    (check,) = _live_check(evaluate_gate("rf", 2))
    assert not check["passed"] and "on 0 labelled requests" in check["reason"]


def test_promote_records_the_evidence(rf):
    live_traffic("rf", "1", "champion", 300, 0.80, seed=7)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=8)
    result = promote("rf", 2, "champion", actor="ana")
    assert result["promoted"]
    entry = alias_history("rf", "champion")[-1]
    assert entry["to_version"] == "2" and entry["action"] == "set"
    live = entry["gate"]["scores"]["live"]
    assert live["labelled_requests"] == 300 and live["p_value"] < 0.05
    assert live["as"] == "challenger" and live["candidate"] == "2"


def test_promote_if_winner_promotes_the_winner(rf):
    live_traffic("rf", "1", "champion", 300, 0.80, seed=9)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=10)
    outcome = promote_if_winner("rf", source="schedule")
    assert outcome["promoted"] and outcome["version"] == "2"
    assert store.client().get_registered_model("rf").aliases["champion"] == 2
    entry = alias_history("rf", "champion")[-1]
    assert entry["actor"] == "live-gate" and entry["reason"].startswith(
        "won on live traffic: live accuracy v2 0.950 vs champion v1 0.800")
    assert entry["reason"].endswith("[checked by schedule]")
    assert entry["gate"]["scores"]["live"]["won"] is True
    again = promote_if_winner("rf")  # v2 is the champion now: nothing left to promote
    assert again["promoted"] is False and again["reason"] == (
        "no challenger or shadow version other than @champion (v2) served in the window")


def test_promote_if_winner_refuses_a_loser(rf):
    live_traffic("rf", "1", "champion", 300, 0.95, seed=11)
    live_traffic("rf", "2", "challenger", 300, 0.80, seed=12)
    before = alias_history("rf", "champion")
    outcome = promote_if_winner("rf")
    assert outcome["promoted"] is False and outcome["version"] == "2"
    assert "does not beat it" in outcome["reason"]
    assert store.client().get_registered_model("rf").aliases["champion"] == 1
    assert alias_history("rf", "champion") == before  # no refusal spam per check


def test_shadow_winner_is_promoted(rf, breast_cancer):
    ids, truth = live_traffic("rf", "1", "champion", 300, 0.80, seed=13)
    live_traffic("rf", "2", "shadow", 300, 0.95, seed=14, ids=ids, labels=truth)
    outcome = promote_if_winner("rf")
    assert outcome["promoted"] and outcome["evidence"]["as"] == "shadow"
    assert 0 < outcome["evidence"]["agreement"] < 1


def test_without_a_live_rule_there_is_no_live_check(registry_home, make_run, forest):
    register_model(forest, "plain", run_id=make_run(metrics={"accuracy": 0.9}),
                   alias="champion")
    register_model(forest, "plain", run_id=make_run(metrics={"accuracy": 0.91}))
    declare_policy("plain", GatePolicy(thresholds=["accuracy >= 0.5"]))
    assert _live_check(evaluate_gate("plain", 2)) == []
    assert promote_if_winner("plain") is None
    assert declared_policy("plain").live is None


def test_policy_round_trip_and_cli(rf, capsys):
    assert declared_policy("rf").live == LiveRule(200, "accuracy", 0.05, "1h", "champion")
    assert cli.main(["models", "gate", "rf", "--set", "--live-min-requests", "50",
                     "--live-window", "2h"]) == 0
    out = capsys.readouterr().out
    assert "live (@champion): >= 50 labelled requests as challenger/shadow in the last 2h" \
        in out
    assert declared_policy("rf").live == LiveRule(50, "accuracy", 0.05, "2h", "champion")
    assert cli.main(["models", "gate", "rf", "--set", "--live-window", "soon"]) == 2


def test_models_ab_cli(rf, capsys):
    live_traffic("rf", "1", "champion", 300, 0.80, seed=15)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=16)
    assert cli.main(["models", "ab", "rf", "--last", "1h"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "rf: live traffic, last 1h (accuracy)"
    assert any(line.split()[:3] == ["champion", "v1", "300"] for line in out)
    assert any("two-proportion z-test: z = " in line and "per variant needed" in line
               for line in out)
    assert out[-1] == "verdict: challenger better"
    assert cli.main(["models", "ab", "rf", "--last", "1h", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["test"]["p_value"] < 0.05 and data["variants"]["challenger"]["labelled"] == 300
    assert cli.main(["models", "ab", "rf", "--last", "1h", "--promote"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "promotion: v2 -> @champion promoted"
    assert cli.main(["models", "ab", "nope"]) != 0
    assert cli.main(["models", "ab", "rf", "--last", "x"]) == 2


def test_scheduled_live_check_promotes(rf, breast_cancer, tmp_path):
    """A check on serving data ends with the live promotion (what a schedule runs)."""
    from mlops_jupyter.monitoring.checks import run_check
    from mlops_jupyter.monitoring.spec import parse_monitor

    features, _ = breast_cancer
    live_traffic("rf", "1", "champion", 300, 0.80, seed=17, features=features)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=18, features=features)
    spec = parse_monitor({"model": "rf@champion",
                          "current": {"serving": "rf", "last": "1h"}}, tmp_path)
    outcome = run_check(spec, report=False, source="schedule")
    assert outcome["live_promotion"]["promoted"] is True
    assert outcome["live"]["variants"]["challenger"]["accuracy"] == pytest.approx(0.95)
    assert store.client().get_registered_model("rf").aliases["champion"] == 2
    no_promote = run_check(spec, report=False, promote=False)
    assert no_promote["live_promotion"] is None


def test_live_win_replaces_the_run_metric_comparison(registry_home, make_run, forest):
    """A retrained version whose own run scored lower (other data) wins on traffic."""
    register_model(forest, "re", run_id=make_run(metrics={"accuracy": 0.97}),
                   alias="champion")
    register_model(forest, "re", run_id=make_run(metrics={"accuracy": 0.90}))
    declare_policy("re", parse_policy({"thresholds": ["accuracy >= 0.85"], "live": LIVE}))
    live_traffic("re", "1", "champion", 300, 0.80, seed=19)
    live_traffic("re", "2", "challenger", 300, 0.95, seed=20)
    verdict = evaluate_gate("re", 2)
    assert [check["kind"] for check in verdict["checks"]] == ["threshold", "live"]
    assert verdict["passed"]
    # without a live rule the run metrics decide, and 0.90 does not beat 0.97
    declare_policy("re", parse_policy({"thresholds": ["accuracy >= 0.85"]}))
    verdict = evaluate_gate("re", 2)
    assert [check["kind"] for check in verdict["checks"]] == ["threshold", "comparison"]
    assert not verdict["passed"]
    # the live rule does not guard other aliases: the comparison stays
    declare_policy("re", parse_policy({"live": LIVE}))
    kinds = [c["kind"] for c in evaluate_gate("re", 2, compare_to="challenger")["checks"]]
    assert kinds == []  # nobody holds @challenger yet


def test_level_4_setup_retrain_to_challenger_then_live_gate(rf):
    """A retrain promotes to @challenger: the live rule does not guard it (no traffic
    needed); the live gate later moves the winner to @champion."""
    promoted = promote("rf", 2, "challenger", reason="retrained after drift check x")
    assert promoted["promoted"] and _live_check(promoted["verdict"]) == []
    live_traffic("rf", "1", "champion", 300, 0.80, seed=21)
    live_traffic("rf", "2", "challenger", 300, 0.95, seed=22)
    assert promote_if_winner("rf")["promoted"] is True
    aliases = store.client().get_registered_model("rf").aliases
    assert aliases["champion"] == 2 and aliases["challenger"] == 2


def test_pipeline_gate_block_declares_a_live_rule(tmp_path):
    from mlops_jupyter.pipelines.spec import SpecError, parse_spec

    (tmp_path / "train.ipynb").write_text("{}")
    text = ("name: p\nsteps:\n  - name: train\n    notebook: train.ipynb\n"
            "gate:\n  rf:\n    thresholds: ['accuracy >= 0.9']\n"
            "    live: {min_requests: 500, beats_champion: accuracy, p_value: 0.05, "
            "window: 24h}\n")
    spec = parse_spec(text, tmp_path / "pipeline.yaml")
    assert spec.gates["rf"].live == LiveRule(500, "accuracy", 0.05, "24h", "champion")
    with pytest.raises(SpecError, match=r"gate.rf.live: p_value must be"):
        parse_spec(text.replace("p_value: 0.05", "p_value: 5"), tmp_path / "pipeline.yaml")
