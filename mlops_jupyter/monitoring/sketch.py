"""Numerical summaries of a reference column: exact distinct values, or a quantile sketch.

A column with at most ``sketch_size`` distinct finite values is kept exactly (sorted
distinct values with counts). A larger one becomes a sketch of at most ``sketch_size``
weighted atoms — the median of each slice of the sorted data, slices narrower in
spread-out tails — together with the exact first Wasserstein distance between the
sketch and the real data (``sketch_error``). By the triangle inequality a Wasserstein
distance computed against the sketch is within ``sketch_error`` of the one against the
full data. Mean, population std, min and max are always exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import UsageError


@dataclass(frozen=True, eq=False)
class NumericSummary:
    """The distribution of a numerical column's finite values.

    Attributes:
        values: Sorted atom positions (float64).
        counts: How many reference values each atom stands for (sums to the number of
            finite values).
        exact: True when ``values``/``counts`` are the distinct values and their
            counts, i.e. the full data; False for a quantile sketch.
        sketch_error: First Wasserstein distance between this distribution and the
            real data, in the column's units (0.0 when exact).
        mean: Mean of the finite values.
        std: Population standard deviation (ddof=0) of the finite values, as
            ``np.std`` computes it — Evidently normalises Wasserstein by it.
        min: Smallest finite value.
        max: Largest finite value.
    """

    values: np.ndarray
    counts: np.ndarray
    exact: bool
    sketch_error: float
    mean: float | None
    std: float | None
    min: float | None
    max: float | None

    def expanded(self) -> np.ndarray:
        """The sorted reference values (exact summaries only).

        Raises:
            UsageError: The summary is a sketch.
        """
        if not self.exact:
            raise UsageError("the reference values were not kept exactly, only a sketch")
        return np.repeat(self.values, self.counts)


def numeric_array(series: pd.Series) -> np.ndarray:
    """A numeric column as float64 with NaN for missing values.

    Args:
        series: A column of a numeric, bool or nullable numeric dtype.

    Returns:
        A float64 array, zero-copy when the column already is float64.
    """
    if series.dtype == np.float64:
        return series.to_numpy()
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def summarise_numeric(x: np.ndarray, sketch_size: int) -> tuple[NumericSummary, int, int]:
    """Summarise a numerical column's finite values, exactly or as a sketch.

    Args:
        x: The column as float64 (NaN/±inf are counted as null and left out).
        sketch_size: Most distinct values kept exactly; also the sketch's atom count.

    Returns:
        The summary, the null count and the distinct count.
    """
    finite = x[np.isfinite(x)]
    n = finite.size
    n_null = x.size - n
    if n == 0:
        empty = NumericSummary(np.empty(0), np.empty(0, np.int64), True, 0.0,
                               None, None, None, None)
        return empty, n_null, 0
    # np.std of a pandas Series is what Evidently's normalisation computes; mean and
    # std are taken in the data's order (summation order shows in the last bits).
    std = float(np.std(pd.Series(finite)))
    mean = float(np.mean(finite))
    xs = finite  # a copy already (boolean indexing): sorted in place
    xs.sort()
    starts = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    n_unique = starts.size
    stats = {"mean": mean, "std": std, "min": float(xs[0]), "max": float(xs[-1])}
    if n_unique <= sketch_size:
        counts = np.diff(np.append(starts, n)).astype(np.int64)
        # Integer indexing returns a new array: no view of xs is kept.
        return NumericSummary(xs[starts], counts, True, 0.0, **stats), n_null, n_unique
    bounds = sketch_bounds(xs, sketch_size)
    counts = np.diff(bounds)
    # Each atom is its slice's median, which minimises the L1 (= Wasserstein) error
    # of representing the slice by one point.
    atoms = xs[bounds[:-1] + (counts - 1) // 2]
    # Atoms and slices share their masses, so the quantile coupling is exact and the
    # Wasserstein distance sketch↔data is the mean absolute deviation within slices.
    error = float(np.abs(xs - np.repeat(atoms, counts)).sum() / n)
    return NumericSummary(atoms, counts, False, error, **stats), n_null, n_unique


def sketch_bounds(xs: np.ndarray, size: int) -> np.ndarray:
    """Slice boundaries (ranks into sorted ``xs``) for at most ``size`` slices.

    A slice of mass h over which the quantile function rises by Q'·h costs about
    Q'·h²/4 of Wasserstein error, so the total is smallest when slice density follows
    sqrt(Q'): narrow slices in spread-out tails, wide ones in the dense middle. On
    heavy tails (log-normal, Student-t) this cuts the error 5–20× against equal-mass
    slices. Q' is estimated on a grid of 8·size equal-mass cells; 30 % of the slices
    stay equal-mass so that no slice gets large where the estimate is flat.
    """
    n = xs.size
    grid = (np.arange(8 * size + 1, dtype=np.int64) * n) // (8 * size)
    rise = np.sqrt(np.diff(xs[np.minimum(grid, n - 1)]))
    total = rise.sum()
    density = 0.3 / rise.size + 0.7 * (rise / total if total > 0 else 1.0 / rise.size)
    cumulative = np.concatenate(([0.0], np.cumsum(density)))
    ranks = np.interp(np.linspace(0.0, cumulative[-1], size + 1), cumulative, grid)
    bounds = np.unique(np.round(ranks).astype(np.int64))
    bounds[0], bounds[-1] = 0, n
    return bounds

