"""The Wasserstein kernel against scipy, and the sketch's error bound."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mlops_jupyter.monitoring.drift import wasserstein_to_sample
from mlops_jupyter.monitoring.sketch import summarise_numeric as _summarise_numeric


def test_exact_against_scipy_on_many_random_cases():
    rng = np.random.default_rng(0)
    for trial in range(1500):
        # Alternate tiny and larger sides: breakpoints then fall every which way.
        n = int(rng.integers(1, 6 if trial % 3 == 0 else 90))
        m = int(rng.integers(1, 6 if trial % 3 == 1 else 90))
        ref = np.round(rng.normal(size=n), int(rng.integers(0, 3)))  # ties
        cur = np.round(rng.normal(0.3, 1.2, size=m), 1)
        values, counts = np.unique(ref, return_counts=True)
        ours = wasserstein_to_sample(values, counts, np.sort(cur))
        assert ours == pytest.approx(stats.wasserstein_distance(ref, cur), rel=1e-12, abs=1e-15)


def test_identical_distributions_are_at_distance_zero():
    x = np.sort(np.random.default_rng(1).normal(size=1000))
    assert wasserstein_to_sample(x, np.ones(1000, dtype=np.int64), x) == pytest.approx(0, abs=1e-15)


@pytest.mark.parametrize("draw", ["normal", "lognormal", "uniform", "student"])
def test_sketch_error_is_exact_and_bounds_the_score(draw):
    rng = np.random.default_rng(2)
    sample = {
        "normal": lambda n: rng.normal(size=n),
        "lognormal": lambda n: rng.lognormal(0, 1.5, n),
        "uniform": lambda n: rng.uniform(size=n),
        "student": lambda n: rng.standard_t(3, n),
    }[draw]
    ref = sample(100_000)
    summary, _, _ = _summarise_numeric(ref, 2000)
    assert not summary.exact
    # The recorded error is the sketch's true Wasserstein distance to the data …
    full_sorted = np.sort(ref)
    assert summary.sketch_error == pytest.approx(
        wasserstein_to_sample(summary.values, summary.counts, full_sorted), rel=1e-9)
    assert summary.sketch_error == pytest.approx(
        stats.wasserstein_distance(ref, summary.values, v_weights=summary.counts), rel=1e-9)
    # … so, by the triangle inequality, it bounds the error of any score.
    for shift in (0.0, 0.05, 0.5):
        cur = np.sort(sample(30_000) + shift)
        approx = wasserstein_to_sample(summary.values, summary.counts, cur)
        exact = stats.wasserstein_distance(ref, cur)
        assert abs(approx - exact) <= summary.sketch_error * (1 + 1e-9)
    assert summary.sketch_error / summary.std < 0.005
