"""Bad inputs to check_drift: one clear UsageError each, or a documented verdict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.monitoring.drift import DriftOptions, DriftResult, check_drift
from mlops_jupyter.monitoring.profile import ReferenceProfile

from .test_drift_vs_evidently import mixed_frame


@pytest.fixture(scope="module")
def ref():
    return mixed_frame(2500, shift=0.0, seed=1)  # > 2000 distinct floats: sketched


@pytest.fixture(scope="module")
def profile(ref):
    return ReferenceProfile.from_frame(ref, target_column="small_int")


@pytest.fixture
def cur():
    return mixed_frame(800, shift=0.0, seed=2)


def test_missing_columns_are_all_named(profile, cur):
    with pytest.raises(UsageError, match=r"lacks reference column\(s\): normal, category$"):
        check_drift(profile, cur.drop(columns=["normal", "category"]))


def test_missing_target_is_skipped_not_an_error(profile, cur):
    result = check_drift(profile, cur.drop(columns=["small_int"]))
    target = result.column("small_int")
    assert target.status == "skipped" and target.drifted is None
    assert "not in the current data" in result.skipped_columns["small_int"]
    assert result.number_of_columns == len(profile.columns) - 1


def test_extra_columns_are_ignored_and_listed(profile, cur):
    cur = cur.assign(extra=1.0, another="x")
    result = check_drift(profile, cur)
    assert result.ignored_columns == ("extra", "another")
    assert "extra" not in result.to_dict()["columns"]


def test_non_numeric_text_in_a_numerical_column_is_refused(profile, cur):
    cur["normal"] = cur["normal"].astype(str)
    cur.loc[5, "normal"] = "n/a"
    cur["skewed"] = "oops"
    with pytest.raises(UsageError, match=r"column 'normal' is numerical in the reference but "
                                         r"holds non-numeric values .*'n/a'.*column 'skewed'"):
        check_drift(profile, cur)


def test_numeric_text_is_parsed_and_reported(profile, cur):
    expected = check_drift(profile, cur)
    cur = cur.copy()
    cur["normal"] = [repr(float(v)) for v in cur["normal"]]  # exact text of each float
    result = check_drift(profile, cur)
    assert result.coerced_columns == ("normal",) and result.column("normal").coerced
    assert result.column("normal").score == expected.column("normal").score


def test_text_categories_arriving_as_numbers_are_refused(profile, cur):
    cur["side"] = np.arange(len(cur)) % 2
    with pytest.raises(UsageError, match="'side' holds text categories in the reference but "
                                         "numbers"):
        check_drift(profile, cur)


def test_numeric_categories_arriving_as_text(profile, cur):
    cur["small_int"] = cur["small_int"].astype(str)
    result = check_drift(profile, cur)
    assert result.column("small_int").coerced
    cur["small_int"] = "many"
    with pytest.raises(UsageError, match="'small_int' holds numeric categories in the "
                                         "reference but text"):
        check_drift(profile, cur)


def test_datetime_in_a_numerical_column_is_refused(profile, cur):
    cur["normal"] = pd.Timestamp("2024-01-01")
    with pytest.raises(UsageError, match="'normal' is numerical in the reference but has "
                                         "dtype datetime64"):
        check_drift(profile, cur)


def test_empty_current_frame_is_refused(profile, cur):
    with pytest.raises(UsageError, match="current data has no rows"):
        check_drift(profile, cur.iloc[:0])
    with pytest.raises(UsageError, match="must be a pandas DataFrame"):
        check_drift(profile, cur.to_dict())
    with pytest.raises(UsageError, match="profile must be a ReferenceProfile"):
        check_drift({"format": "x"}, cur)


def test_all_missing_column_is_skipped_with_a_reason(profile, cur):
    cur["normal"] = np.nan
    cur["category"] = None
    cur["skewed"] = np.inf  # Evidently drops ±inf like NaN
    result = check_drift(profile, cur)
    for name in ("normal", "category", "skewed"):
        verdict = result.column(name)
        assert verdict.status == "skipped" and verdict.drifted is None
        assert verdict.reason == "no non-null values in the current data"
        assert verdict.current_null == len(cur)
    assert result.number_of_columns == len(profile.columns) - 3
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["columns"]["normal"]["score"] is None
    assert set(data["skipped_columns"]) == {"normal", "category", "skewed"}


def test_all_missing_reference_column_is_skipped(cur):
    ref = mixed_frame(300, shift=0.0, seed=3)
    ref["normal"] = np.nan
    result = check_drift(ReferenceProfile.from_frame(ref), cur)
    assert result.column("normal").reason == "no non-null values in the reference data"


def test_nothing_computable_gives_no_dataset_verdict():
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    result = check_drift(ReferenceProfile.from_frame(ref), pd.DataFrame({"x": [np.nan]}))
    assert result.dataset_drift is None and result.share_of_drifted_columns is None


@pytest.mark.parametrize("kwargs, message", [
    ({"method": "psi"}, "method is 'psi'; choose one of"),
    ({"per_column_method": {"normal": "t-test"}}, r"per_column_method\['normal'\]"),
    ({"drift_share": 0}, r"drift_share must be a number in \(0, 1\]"),
    ({"drift_share": 1.5}, "drift_share"),
    ({"threshold": -1}, "threshold must be a finite number"),
    ({"per_column_threshold": {"normal": float("nan")}}, "per_column_threshold"),
    ({"columns": "normal"}, "columns must be a non-empty list"),
])
def test_invalid_options(kwargs, message):
    with pytest.raises(UsageError, match=message):
        DriftOptions(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"per_column_method": {"side": "ks"}}, "'ks' does not apply to categorical column 'side'"),
    ({"num_method": "chisquare"}, "'chisquare' does not apply to numerical column"),
    ({"per_column_method": {"normal": "ks"}}, ("needs the exact reference values of column "
                                               "'normal'")),
    ({"per_column_threshold": {"nope": 0.1}}, "per_column_threshold names column"),
    ({"columns": ["normal", "nope"]}, "does not check column.*'nope'"),
])
def test_options_that_do_not_fit_the_profile(profile, cur, kwargs, message):
    with pytest.raises(UsageError, match=message):
        check_drift(profile, cur, options=DriftOptions(**kwargs))


def test_columns_option_restricts_the_check(profile, cur):
    result = check_drift(profile, cur, options=DriftOptions(columns=["normal", "side"]))
    assert [c.column for c in result.columns] == ["normal", "side"]


def test_result_round_trips_through_json(profile, cur):
    result = check_drift(profile, cur.assign(extra=0))
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    again = DriftResult.from_dict(data)
    assert again.to_dict() == result.to_dict()
    with pytest.raises(UsageError, match="malformed drift result"):
        DriftResult.from_dict({"columns": []})
