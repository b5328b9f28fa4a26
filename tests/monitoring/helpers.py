"""Run the real Evidently preset and compare its verdicts with ours."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pandas as pd

from mlops_jupyter.monitoring.drift import DriftResult


@dataclass
class Peer:
    """Evidently's verdicts: per column (method display name, score, drifted)."""

    columns: dict[str, tuple[str, float, bool]]
    share: float
    count: int
    dataset_drift: bool


def evidently_verdicts(ref: pd.DataFrame, cur: pd.DataFrame, **preset) -> Peer:
    """``Report([DataDriftPreset(**preset)])`` on the full frames, read from its dict."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = Report([DataDriftPreset(**preset)], include_tests=True).run(
            current_data=cur, reference_data=ref).dict()
    scores, share, count = {}, None, None
    for metric in data["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            scores[config["column"]] = (config["method"], float(metric["value"]))
        elif config["type"].endswith("DriftedColumnsCount"):
            share, count = float(metric["value"]["share"]), int(metric["value"]["count"])
    # Each ValueDrift carries a test that FAILs when the column drifted.
    drifted = {t["metric_config"]["params"]["column"]: t["status"] == "FAIL"
               for t in data["tests"] if t["id"] == "drift"}
    assert set(drifted) == set(scores), "every column should have a drift test"
    columns = {c: (m, s, drifted[c]) for c, (m, s) in scores.items()}
    drift_share = preset.get("drift_share", 0.5)
    return Peer(columns, share, count, share >= drift_share)


def assert_same_as_evidently(ours: DriftResult, peer: Peer, *, rel: float = 1e-7) -> None:
    """Same columns, methods, per-column verdicts, scores and dataset verdict."""
    computed = {c.column: c for c in ours.columns if c.status == "computed"}
    assert set(computed) == set(peer.columns)
    for name, (method, score, drifted) in peer.columns.items():
        col = computed[name]
        # Evidently names an explicitly chosen method as given, an automatic one by
        # its display name.
        assert method in (col.method_display, col.method), (name, method)
        tolerance = col.score_error_bound + rel * max(abs(score), 1e-12) + 1e-12
        assert math.isclose(col.score, score, abs_tol=tolerance), (name, col.score, score)
        if not col.uncertain:
            assert col.drifted == drifted, (name, col.score, score, col.threshold)
    assert ours.number_of_drifted_columns == peer.count
    assert ours.share_of_drifted_columns == peer.share
    assert ours.dataset_drift == peer.dataset_drift
