"""The A/B decision on live traffic: per-variant numbers, z-test, power, shadow agreement."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.inference import abtest as ab


def traffic(variant: str, n: int, accuracy: float, *, version: str, seed: int,
            labelled: bool = True, request_ids=None, labels=None) -> pd.DataFrame:
    """``n`` single-row requests answered by ``variant``, exactly ``accuracy`` right."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, n).astype(float) if labels is None else np.asarray(labels)
    right = np.zeros(n, dtype=bool)
    right[rng.permutation(n)[:round(accuracy * n)]] = True
    prediction = np.where(right, truth, 1 - truth)
    ids = request_ids if request_ids is not None else [uuid.uuid4().hex for _ in range(n)]
    return pd.DataFrame({
        "request_id": ids, "row": 0,
        "timestamp": pd.Timestamp.now(tz="UTC"), "model": "m", "alias": variant,
        "version": version, "variant": variant,
        "latency_ms": rng.uniform(1, 5, n), "status": 200, "error": None,
        "prediction": prediction, "x": rng.normal(size=n),
        "label": truth if labelled else np.nan})


def test_challenger_truly_better_is_significant():
    frame = pd.concat([traffic("champion", 600, 0.80, version="1", seed=1),
                       traffic("challenger", 600, 0.95, version="2", seed=2)])
    result = ab.compare(frame)
    assert result["verdict"] == "challenger better" and result["winner"] == "challenger"
    test = result["test"]
    assert test["p_value"] < 0.05 and test["z"] > 0
    assert result["variants"]["challenger"]["accuracy"] == pytest.approx(0.95)
    assert result["variants"]["champion"]["accuracy"] == pytest.approx(0.80)
    assert result["variants"]["challenger"]["versions"] == ["2"]
    assert result["variants"]["champion"]["requests"] == 600
    # 0.95 vs 0.80 needs far fewer than 600 labelled rows per side at 80 % power
    assert 30 < test["min_sample"] < 600 and "80%" in test["power_note"]


def test_z_test_matches_scipy_free_formula():
    z, p = ab.z_test(570, 600, 480, 600)
    pooled = 1050 / 1200
    expected = (0.95 - 0.80) / math.sqrt(pooled * (1 - pooled) * 2 / 600)
    assert z == pytest.approx(expected) and p == pytest.approx(math.erfc(expected / 2**.5))
    # textbook figure: 0.80 vs 0.95 at alpha 0.05, 80 % power -> 76 per group
    assert ab.min_sample(0.95, 0.80, 0.05) == 76
    assert ab.min_sample(0.9, 0.9, 0.05) is None


def test_champion_better_and_equal():
    frame = pd.concat([traffic("champion", 600, 0.95, version="1", seed=3),
                       traffic("challenger", 600, 0.80, version="2", seed=4)])
    assert ab.compare(frame)["verdict"] == "champion better"
    equal = pd.concat([traffic("champion", 600, 0.90, version="1", seed=5),
                       traffic("challenger", 600, 0.90, version="2", seed=6)])
    result = ab.compare(equal)
    assert result["verdict"] == "no significant difference" and result["winner"] is None
    assert result["test"]["p_value"] > 0.05 and result["test"]["min_sample"] is None


def test_small_samples_are_not_enough_data():
    frame = pd.concat([traffic("champion", 20, 0.5, version="1", seed=7),
                       traffic("challenger", 20, 1.0, version="2", seed=8)])
    result = ab.compare(frame)
    assert result["verdict"].startswith("not enough data (n < 30")
    assert result["winner"] is None


def test_unlabelled_traffic_says_no_labels():
    frame = pd.concat([traffic("champion", 100, 0.9, version="1", seed=9, labelled=False),
                       traffic("challenger", 100, 0.9, version="2", seed=10,
                               labelled=False)])
    result = ab.compare(frame)
    assert "no labels yet" in result["verdict"]
    assert result["variants"]["champion"]["accuracy"] is None
    assert result["variants"]["challenger"]["labelled"] == 0


def test_errors_are_counted_and_left_out_of_accuracy():
    frame = traffic("champion", 100, 1.0, version="1", seed=11)
    frame.loc[:9, "status"] = 500
    frame.loc[:9, "prediction"] = np.nan
    result = ab.compare(frame)
    champion = result["variants"]["champion"]
    assert champion["errors"] == 10 and champion["labelled"] == 90
    assert champion["accuracy"] == 1.0
    assert result["verdict"] == "no challenger or shadow traffic in the window"


def test_shadow_agreement_and_mcnemar():
    n = 400
    champion = traffic("champion", n, 0.80, version="1", seed=12)
    shadow = traffic("shadow", n, 0.95, version="2", seed=13,
                     request_ids=list(champion["request_id"]), labels=champion["label"])
    result = ab.compare(pd.concat([champion, shadow]))
    assert result["test"] is None
    report = result["shadow"]
    assert report["pairs"] == n and 0 < report["agreement"] < 1
    agree = (champion["prediction"].to_numpy() == shadow["prediction"].to_numpy()).mean()
    assert report["agreement"] == pytest.approx(agree)
    assert report["shadow_accuracy"] == pytest.approx(0.95)
    assert report["p_value"] < 0.05 and result["verdict"] == "shadow better"
    evidence = ab.candidate_evidence(result)
    assert evidence["as"] == "shadow" and evidence["won"] and evidence["labelled_requests"] == n


def test_identical_shadow_agrees_fully():
    champion = traffic("champion", 50, 0.9, version="1", seed=14, labelled=False)
    shadow = champion.assign(variant="shadow", version="2")
    result = ab.compare(pd.concat([champion, shadow]))
    assert result["shadow"]["agreement"] == 1.0
    assert "no labels yet" in result["shadow"]["verdict"]


def test_versus_keeps_only_the_two_versions():
    frame = pd.concat([traffic("champion", 600, 0.80, version="1", seed=15),
                       traffic("challenger", 600, 0.95, version="2", seed=16),
                       traffic("challenger", 600, 0.50, version="3", seed=17)])
    assert ab.versus(frame, "2", "1")["verdict"] == "challenger better"
    assert ab.versus(frame, "3", "1")["verdict"] == "champion better"
    assert ab.versus(frame, "2", "9")["variants"].keys() == {"challenger"}


def test_string_class_predictions():
    frame = pd.concat([traffic("champion", 200, 0.8, version="1", seed=18),
                       traffic("challenger", 200, 0.8, version="2", seed=19)])
    names = {0.0: "benign", 1.0: "malignant"}
    frame["prediction"] = frame["prediction"].map(names).astype(object)
    frame["label"] = frame["label"].map(names).astype(object)
    result = ab.compare(frame)
    assert result["variants"]["champion"]["accuracy"] == pytest.approx(0.8)


def test_empty_window_and_bad_arguments():
    from mlops_jupyter.inference.logbook import empty_frame

    assert ab.compare(empty_frame())["verdict"] == "no requests in the window"
    with pytest.raises(UsageError, match="live comparisons support accuracy"):
        ab.compare(empty_frame(), metric="rmse")
    with pytest.raises(UsageError, match="between 0 and 1"):
        ab.compare(empty_frame(), alpha=1.5)
