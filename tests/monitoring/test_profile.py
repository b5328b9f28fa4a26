"""Reference profiles: Evidently's type rules, summaries, and the JSON round trip."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.monitoring.drift import check_drift
from mlops_jupyter.monitoring.profile import (
    FORMAT_VERSION,
    MAX_CATEGORIES,
    ReferenceProfile,
    infer_column_type,
)

from .test_drift_vs_evidently import mixed_frame


@pytest.mark.parametrize("series", [
    pd.Series([0.5, 1.5, np.nan]),
    pd.Series(np.arange(11)),
    pd.Series(np.arange(10)),
    pd.Series([1, 2, 3], dtype="uint8"),
    pd.Series([1, None, 3], dtype="Int64"),
    pd.Series([1.5, None], dtype="Float64"),
    pd.Series([True, False, True]),
    pd.Series([True, None], dtype="boolean"),
    pd.Series(["a", "b"] * 5),
    pd.Series(["a", "b", "c"]),
    pd.Series(["a", "b"] * 5, dtype="string"),
    pd.Series(pd.Categorical(["x", "y", "x"])),
    pd.Series([None, None], dtype=object),
    pd.Series(["a", 1, "b", "a"], dtype=object),
    pd.Series([1, "a"], dtype=object),
    pd.Series([[1], [2]], dtype=object),
    pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"])),
], ids=lambda s: str(s.dtype))
def test_type_inference_is_evidentlys(series):
    from evidently.core.datasets import infer_column_type as evidently_infer

    names = {"num": "numerical", "cat": "categorical"}  # Evidently's enum values
    expected = evidently_infer(series).value
    assert infer_column_type(series) == names.get(expected, expected)


def test_profile_keeps_types_counts_and_excluded_columns():
    rows = 3000
    ref = mixed_frame(rows, shift=0.0, seed=1, missing=0.1)
    ref["when"] = pd.date_range("2024-01-01", periods=rows, freq="min")
    ref["note"] = [f"free text {i}" for i in range(rows)]
    ref["id"] = np.arange(rows, dtype="uint32")
    profile = ReferenceProfile.from_frame(ref, column_overrides={"small_int": "numerical"})

    kinds = profile.column_types()
    assert kinds["normal"] == "numerical" and kinds["wide_int"] == "numerical"
    assert kinds["category"] == kinds["flag"] == kinds["tier"] == "categorical"
    assert kinds["small_int"] == "numerical"
    assert profile.column("small_int").type_source == "override"
    assert {e.name: e.inferred_type for e in profile.excluded_columns} == {
        "when": "datetime", "note": "text", "id": "unknown"}

    normal = profile.column("normal")
    assert normal.n_null == int(ref["normal"].isna().sum())
    assert normal.n_present == rows - normal.n_null
    assert normal.numeric.std == pytest.approx(float(np.std(ref["normal"].dropna())))
    assert not normal.numeric.exact and normal.numeric.values.size <= 2000
    assert normal.numeric.counts.sum() == normal.n_present
    wide = profile.column("wide_int")
    assert wide.numeric.exact and np.array_equal(
        wide.numeric.expanded(), np.sort(ref["wide_int"].to_numpy(dtype=float)))
    category = dict(profile.column("category").categories)
    assert category == ref["category"].value_counts().to_dict()
    assert profile.column("category").n_null == int(ref["category"].isna().sum())
    assert len(profile.sample) == 3000  # fewer rows than the 5000 sample limit


def test_json_round_trip_gives_the_same_profile_and_verdicts():
    ref = mixed_frame(6000, shift=0.0, seed=2, missing=0.05)
    cur = mixed_frame(2000, shift=0.4, seed=3, missing=0.05)
    profile = ReferenceProfile.from_frame(ref, prediction_column="normal",
                                          target_column="flag", sample_rows=500)
    text = profile.to_json()
    json.loads(text, parse_constant=lambda name: pytest.fail(f"non-strict JSON {name}"))
    loaded = ReferenceProfile.from_json(text)

    assert loaded.to_json() == text
    assert (loaded.prediction_column, loaded.target_column) == ("normal", "flag")
    for a, b in zip(profile.columns, loaded.columns):
        assert (a.name, a.kind, a.role, a.n_null, a.n_unique) == (b.name, b.kind, b.role,
                                                                b.n_null, b.n_unique)
        if a.numeric is not None:
            assert np.array_equal(a.numeric.values, b.numeric.values)
            assert np.array_equal(a.numeric.counts, b.numeric.counts)
            assert a.numeric.sketch_error == b.numeric.sketch_error
        else:
            assert a.categories == b.categories
            assert [type(v) for v, _ in a.categories] == [type(v) for v, _ in b.categories]
    pd.testing.assert_frame_equal(loaded.reference_sample(), profile.reference_sample())
    assert len(loaded.sample) == 500
    assert check_drift(profile, cur).to_dict() == check_drift(loaded, cur).to_dict()


def test_profile_of_20_columns_stays_under_2_mb():
    rng = np.random.default_rng(0)
    rows = 50_000
    frame = pd.DataFrame({f"x{i}": rng.normal(i, 1, rows) for i in range(16)})
    for i in range(4):
        frame[f"c{i}"] = rng.choice([f"level-{k}" for k in range(30)], rows)
    text = ReferenceProfile.from_frame(frame).to_json()
    assert len(text.encode()) <= 2_000_000
    assert "pickle" not in text


def test_other_format_version_is_refused():
    profile = ReferenceProfile.from_frame(mixed_frame(100, shift=0.0, seed=4))
    data = profile.to_dict()
    data["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(UsageError, match="format version 2 is not supported"):
        ReferenceProfile.from_json(json.dumps(data))
    with pytest.raises(UsageError, match="format version"):
        check_drift(dataclasses.replace(profile, format_version=FORMAT_VERSION + 1),
                    mixed_frame(100, shift=0.0, seed=5))


@pytest.mark.parametrize("text, message", [
    ("not json", "not valid JSON"),
    ('{"format": "something else"}', "not an mlops-jupyter reference profile"),
    ('[1, 2]', "not an mlops-jupyter reference profile"),
])
def test_garbage_is_refused_with_one_clear_error(text, message):
    with pytest.raises(UsageError, match=message):
        ReferenceProfile.from_json(text)


def test_tampered_profile_is_malformed_not_a_crash():
    data = ReferenceProfile.from_frame(mixed_frame(100, shift=0.0, seed=4)).to_dict()
    data["columns"][0]["numeric"]["values"]["dtype"] = "|O"  # would mean pickled objects
    with pytest.raises(UsageError, match="malformed reference profile"):
        ReferenceProfile.from_dict(data)
    del data["columns"][0]["numeric"]
    with pytest.raises(UsageError, match="malformed reference profile"):
        ReferenceProfile.from_dict(data)


@pytest.mark.parametrize("kwargs, message", [
    ({"prediction_column": "nope"}, "prediction_column 'nope' is not a column"),
    ({"target_column": "nope"}, "target_column 'nope' is not a column"),
    ({"column_overrides": {"nope": "numerical"}}, "names 'nope'"),
    ({"column_overrides": {"side": "text"}}, "use 'numerical', 'categorical' or 'ignore'"),
    ({"column_overrides": {"side": "numerical"}}, "'side' .* cannot be treated as numerical"),
])
def test_bad_profile_arguments(kwargs, message):
    with pytest.raises(UsageError, match=message):
        ReferenceProfile.from_frame(mixed_frame(50, shift=0.0, seed=1), **kwargs)


def test_bad_reference_frames():
    with pytest.raises(UsageError, match="must be a pandas DataFrame"):
        ReferenceProfile.from_frame([[1, 2]])
    with pytest.raises(UsageError, match="reference data has no rows"):
        ReferenceProfile.from_frame(pd.DataFrame({"a": []}))
    with pytest.raises(UsageError, match="not strings"):
        ReferenceProfile.from_frame(pd.DataFrame(np.zeros((3, 2))))
    ids = pd.DataFrame({"id": pd.Categorical(np.arange(MAX_CATEGORIES + 1).astype(str))})
    with pytest.raises(UsageError, match="'id' has 10001 categories"):
        ReferenceProfile.from_frame(ids)
    with pytest.raises(UsageError, match="no numerical or categorical column"):
        ReferenceProfile.from_frame(pd.DataFrame({"text": ["a", "b", "c"]}))
