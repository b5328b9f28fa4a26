"""Our verdicts against Evidently's own DataDriftPreset on generated data.

Every case runs the real Evidently report on the full frames and compares method,
score, per-column verdict, drifted count/share and the dataset verdict. The frames
are built so that Evidently's type inference (done on the *current* frame) agrees
with ours (done on the reference): that difference is documented, not hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.monitoring.drift import DriftOptions, check_drift
from mlops_jupyter.monitoring.profile import ReferenceProfile

from .helpers import assert_same_as_evidently, evidently_verdicts


def mixed_frame(rows: int, *, shift: float, seed: int, missing: float = 0.0) -> pd.DataFrame:
    """Numerical, few-valued, categorical and binary columns; ``shift`` moves them."""
    rng = np.random.default_rng(seed)
    cats = ["a", "b", "c", "d", "e"]
    p_cat = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    if shift:
        p_cat = np.array([0.15, 0.2, 0.2, 0.2, 0.25])
    frame = pd.DataFrame({
        "normal": rng.normal(shift, 1.0, rows),
        "skewed": rng.exponential(1.0 + shift, rows),
        "wide_int": rng.integers(0, 200, rows) + int(20 * shift),
        "small_int": rng.integers(0, 4, rows),
        "few_floats": rng.choice([0.5, 1.5, 2.5], rows, p=[0.5, 0.3, 0.2] if shift else None),
        "two_floats": rng.choice([0.0, 1.0], rows, p=[0.5 + 0.2 * shift, 0.5 - 0.2 * shift]),
        "flag": rng.random(rows) < 0.3 + 0.2 * shift,
        "category": rng.choice(cats, rows, p=p_cat / p_cat.sum()),
        "side": rng.choice(["left", "right"], rows),
        "tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], rows)),
    })
    if missing:
        frame.loc[rng.random(rows) < missing, "normal"] = np.nan
        frame.loc[rng.random(rows) < missing, "skewed"] = np.nan
        frame.loc[rng.random(rows) < missing, "category"] = None
    return frame


def _check(ref, cur, options=None, **profile_args):
    profile = ReferenceProfile.from_json(
        ReferenceProfile.from_frame(ref, **profile_args).to_json())
    return check_drift(profile, cur, options=options)


CASES = {
    # ≤ 1000 reference rows: K-S, chi-square, Z-test.
    "small_unshifted": (400, 350, 0.0, 0.0),
    "small_shifted": (400, 350, 0.6, 0.0),
    # > 1000 reference rows: normed Wasserstein and Jensen-Shannon.
    "large_unshifted": (3000, 2500, 0.0, 0.0),
    "large_shifted": (3000, 2500, 0.6, 0.0),
    "small_missing_values": (700, 500, 0.3, 0.15),
    "large_missing_values": (4000, 3000, 0.3, 0.15),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mixed_frames_match_evidently(case):
    ref_rows, cur_rows, shift, missing = CASES[case]
    ref = mixed_frame(ref_rows, shift=0.0, seed=1, missing=missing)
    cur = mixed_frame(cur_rows, shift=shift, seed=2, missing=missing)
    ours = _check(ref, cur)
    assert_same_as_evidently(ours, evidently_verdicts(ref, cur))
    methods = {c.method for c in ours.columns}
    if ref_rows <= 1000:
        assert methods == {"ks", "chisquare", "z"}
    else:
        assert methods == {"wasserstein", "jensenshannon"}
    if shift:
        assert ours.column("normal").drifted and ours.column("category").drifted
    else:
        # At a 5 % level one false alarm among ten columns is chance, not a bug.
        assert len(ours.drifted_columns) <= 1 and not ours.dataset_drift


@pytest.mark.parametrize("rows", [300, 2000])
def test_binary_and_new_categories_match_evidently(rows):
    rng = np.random.default_rng(rows)

    def frame(n, shifted):
        return pd.DataFrame({
            "flag": rng.random(n) < (0.6 if shifted else 0.4),
            "yes_no": rng.choice(["yes", "no"], n),
            "zero_one": rng.integers(0, 2, n),
            # A category that only the current data has, and one it lost.
            "colour": rng.choice(["red", "green", "blue", "pink"] if shifted
                                 else ["red", "green", "blue", "grey"], n),
            "constant": np.full(n, "same"),
        })

    ref, cur = frame(rows, False), frame(rows // 2 + 7, True)
    ours = _check(ref, cur)
    assert_same_as_evidently(ours, evidently_verdicts(ref, cur))
    assert ours.column("colour").drifted and ours.column("flag").drifted
    assert not ours.column("constant").drifted


def test_majority_shift_gives_dataset_drift_like_evidently():
    ref = mixed_frame(1500, shift=0.0, seed=3)
    cur = mixed_frame(1200, shift=1.5, seed=4)
    cur["side"] = np.where(np.arange(1200) % 5 == 0, "left", "right")
    cur["tier"] = pd.Categorical(np.where(np.arange(1200) % 4 == 0, "gold", "bronze"))
    ours = _check(ref, cur)
    peer = evidently_verdicts(ref, cur)
    assert_same_as_evidently(ours, peer)
    assert ours.dataset_drift is True and peer.dataset_drift is True


def test_sketched_reference_stays_within_its_error_bound():
    """20k reference rows with continuous values: the profile keeps a sketch."""
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({
        "normal": rng.normal(0, 1, 20_000),
        "heavy_tail": rng.lognormal(0, 1.2, 20_000),
        "bimodal": np.concatenate([rng.normal(-2, 0.5, 10_000), rng.normal(2, 0.5, 10_000)]),
    })
    cur = pd.DataFrame({
        "normal": rng.normal(0.35, 1, 8_000),
        "heavy_tail": rng.lognormal(0, 1.2, 8_000),
        "bimodal": np.concatenate([rng.normal(-2, 0.5, 2_000), rng.normal(2, 0.5, 6_000)]),
    })
    profile = ReferenceProfile.from_frame(ref)
    assert not any(c.numeric.exact for c in profile.columns)
    ours = check_drift(ReferenceProfile.from_json(profile.to_json()), cur)
    assert all(0 < c.score_error_bound < 0.01 for c in ours.columns)
    assert_same_as_evidently(ours, evidently_verdicts(ref, cur))
    assert ours.drifted_columns == ["normal", "bimodal"]


def test_prediction_column_is_checked_like_evidently_and_reported_apart():
    rng = np.random.default_rng(11)
    ref = mixed_frame(1200, shift=0.0, seed=5)
    cur = mixed_frame(1100, shift=0.0, seed=6)
    ref["prediction"] = rng.normal(0, 1, 1200)
    cur["prediction"] = rng.normal(0.5, 1, 1100)
    ours = _check(ref, cur, prediction_column="prediction")
    assert_same_as_evidently(ours, evidently_verdicts(ref, cur))
    assert ours.prediction is not None and ours.prediction.column == "prediction"
    assert ours.prediction.drifted and ours.prediction.role == "prediction"
    assert ours.to_dict()["prediction"]["drifted"] is True


def test_options_map_to_the_same_preset_settings():
    """Per-column/per-type methods and thresholds and drift_share, as Evidently reads them."""
    ref = mixed_frame(1800, shift=0.0, seed=8)
    cur = mixed_frame(2000, shift=0.25, seed=9)
    settings = {
        "drift_share": 0.3,
        "cat_method": "jensenshannon",
        "num_threshold": 0.05,
        "per_column_method": {"wide_int": "ks", "normal": "jensenshannon"},
        "per_column_threshold": {"category": 0.02, "wide_int": 0.01},
    }
    ours = _check(ref, cur, DriftOptions(**settings))
    peer = evidently_verdicts(ref, cur, **settings)
    assert_same_as_evidently(ours, peer)
    assert ours.column("wide_int").method == "ks"  # exact: ≤ 2000 distinct values
    assert ours.column("normal").method == "jensenshannon"  # Sturges-binned branch
    assert ours.column("skewed").threshold == 0.05
    assert ours.column("category").threshold == 0.02
