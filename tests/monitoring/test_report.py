"""The Evidently report from a profile's sample and the current data alone."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.monitoring.profile import ReferenceProfile
from mlops_jupyter.monitoring.report import evidently_report, profile_report

from .test_drift_vs_evidently import mixed_frame


def test_report_from_profile_is_bounded_and_typed_like_the_profile():
    ref = mixed_frame(3000, shift=0.0, seed=1)
    cur = mixed_frame(2500, shift=0.8, seed=2).assign(extra=1)
    profile = ReferenceProfile.from_json(
        ReferenceProfile.from_frame(ref, sample_rows=400).to_json())
    report = profile_report(profile, cur, max_rows=300)

    assert (report.reference_rows, report.current_rows) == (300, 300)
    assert report.html.lstrip().lower().startswith("<!doctype html") or "<html" in report.html
    json.dumps(report.data)  # plain JSON data
    columns = {m["config"]["column"] for m in report.data["metrics"]
               if m["config"]["type"].endswith("ValueDrift")}
    assert columns == set(profile.column_names)  # "extra" dropped
    drifted = {t["metric_config"]["params"]["column"] for t in report.data["tests"]
               if t["id"] == "drift" and t["status"] == "FAIL"}
    assert "normal" in drifted


def test_report_arguments_are_checked():
    ref = mixed_frame(100, shift=0.0, seed=1)
    with pytest.raises(UsageError, match="lacks reference column"):
        evidently_report(ref, ref.drop(columns=["normal"]))
    with pytest.raises(UsageError, match="max_rows"):
        evidently_report(ref, ref, max_rows=0)
    with pytest.raises(UsageError, match="current data has no rows"):
        evidently_report(ref, ref.iloc[:0])
    with pytest.raises(UsageError, match="kept no reference rows"):
        profile_report(ReferenceProfile.from_frame(ref, sample_rows=0), ref)
    with pytest.raises(UsageError, match="column_types"):
        evidently_report(ref, ref, column_types={"normal": "text"})
    assert isinstance(ref, pd.DataFrame)


def test_a_production_window_without_prediction_column_still_gets_its_report():
    ref = mixed_frame(1500, shift=0.0, seed=1)
    ref = ref.assign(prediction=(ref[ref.columns[0]] > 0).astype(int))
    profile = ReferenceProfile.from_frame(ref, sample_rows=300, prediction_column="prediction")
    cur = mixed_frame(1000, shift=0.5, seed=2)  # features only, as in production
    report = profile_report(profile, cur, max_rows=200)
    columns = {m["config"]["column"] for m in report.data["metrics"]
               if m["config"]["type"].endswith("ValueDrift")}
    assert columns == set(profile.column_names) - {"prediction"}
    with pytest.raises(UsageError, match="lacks reference column"):  # a feature is not optional
        profile_report(profile, cur.drop(columns=[cur.columns[0]]), max_rows=200)


def test_a_column_empty_in_the_current_data_is_left_out_of_the_report():
    """drift.py skips a column with no current values; Evidently raised on it."""
    ref = mixed_frame(800, shift=0.0, seed=1)
    cur = mixed_frame(600, shift=0.5, seed=2)
    cur["normal"] = float("nan")
    profile = ReferenceProfile.from_frame(ref, sample_rows=300)
    report = profile_report(profile, cur, max_rows=200)
    columns = {m["config"]["column"] for m in report.data["metrics"]
               if m["config"]["type"].endswith("ValueDrift")}
    assert columns == set(profile.column_names) - {"normal"}
    with pytest.raises(UsageError, match="nothing to report"):
        evidently_report(ref, cur.assign(**{c: float("nan") for c in cur.columns}))
