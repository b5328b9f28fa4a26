"""The per-column statistical tests of a drift check, computed as Evidently 0.7 does.

Verdicts (``ks_stattest.py``, ``chisquare_stattest.py``, ``z_stattest.py``,
``wasserstein_distance_norm.py``, ``jensenshannon.py``): K-S drifts when
p ≤ threshold (default 0.05); chi-square and Z when p < threshold (0.05);
Wasserstein and Jensen-Shannon when distance ≥ threshold (0.1).

- Wasserstein is ``scipy.stats.wasserstein_distance`` divided by
  ``max(np.std(reference), 0.001)`` (population std); against a sketched reference
  the score carries the sketch's error divided by the same std.
- Jensen-Shannon is ``scipy.spatial.distance.jensenshannon`` (natural log) of the
  category shares over the union of categories (``utils.py``, ``get_binned_data``;
  numerical columns with more than 20 distinct reference values use Sturges bins over
  reference ∪ current).
- Chi-square compares current counts with reference counts scaled to the current
  size; the Z-test compares the share of values other than the smallest category.

Which test a column gets, and what the verdicts add up to, is the engine's business
(:mod:`.drift`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import rel_entr

from ..exceptions import UsageError
from .profile import CATEGORICAL, NUMERICAL, ColumnProfile

#: Above this many distinct reference values, Jensen-Shannon bins numerical data.
JS_BINNING_UNIQUE = 20


@dataclass(frozen=True)
class Method:
    """A drift test as Evidently defines it.

    Attributes:
        name: Evidently's registered name (``"ks"``, ``"chisquare"``, ``"z"``,
            ``"wasserstein"``, ``"jensenshannon"``).
        display_name: Evidently's display name, as its report shows it.
        kinds: Column kinds the test may be *chosen* for explicitly.
        default_threshold: Threshold when none is configured.
        score_kind: ``"p_value"`` or ``"distance"``.
    """

    name: str
    display_name: str
    kinds: frozenset
    default_threshold: float
    score_kind: str

    def is_drift(self, score: float, threshold: float) -> bool:
        """Evidently's verdict for a score (NaN never drifts)."""
        if self.name == "ks":
            return bool(score <= threshold)
        if self.score_kind == "p_value":
            return bool(score < threshold)
        return bool(score >= threshold)


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", "K-S p_value", frozenset({NUMERICAL}), 0.05, "p_value"),
        Method("chisquare", "chi-square p_value", frozenset({CATEGORICAL}), 0.05, "p_value"),
        Method("z", "Z-test p_value", frozenset({CATEGORICAL}), 0.05, "p_value"),
        Method("wasserstein", "Wasserstein distance (normed)", frozenset({NUMERICAL}), 0.1,
               "distance"),
        Method("jensenshannon", "Jensen-Shannon distance",
               frozenset({NUMERICAL, CATEGORICAL}), 0.1, "distance"),
    )
}


def numeric_score(name: str, col: ColumnProfile, cur: np.ndarray) -> tuple[float, float]:
    """Score of a numerical column (``cur``: its finite current values, sorted) and the
    bound on its error."""
    ref = col.numeric
    assert ref is not None
    if name == "wasserstein":
        norm = max(float(ref.std), 0.001)
        w = wasserstein_to_sample(ref.values, ref.counts, cur)
        return w / norm, ref.sketch_error / norm
    if name == "ks":
        from scipy import stats

        return float(stats.ks_2samp(ref.expanded(), cur)[1]), 0.0
    if name == "jensenshannon" and col.n_unique > JS_BINNING_UNIQUE:
        ref_values = ref.expanded()
        bins = np.histogram_bin_edges(np.concatenate([ref_values, cur]), bins="sturges")
        ref_p = np.histogram(ref_values, bins)[0] / ref_values.size
        cur_p = np.histogram(cur, bins)[0] / cur.size
        return jensenshannon(ref_p, cur_p), 0.0
    # Few distinct values: the column is compared like a categorical one.
    values, counts = np.unique(cur, return_counts=True)
    cur_counts = dict(zip(values.tolist(), counts.tolist()))
    ref_counts = dict(zip(ref.values.tolist(), ref.counts.tolist()))
    keys = list(dict.fromkeys([*ref_counts, *cur_counts]))
    return categorical_score(name, keys, ref_counts, cur_counts, col.n_present, cur.size), 0.0


def categorical_score(name: str, keys: list, ref: Mapping, cur: Mapping, n_ref: int,
                       n_cur: int) -> float:
    """Chi-square, Z or Jensen-Shannon from category counts, as Evidently computes them."""
    if name == "chisquare":
        from scipy import stats

        k_norm = n_cur / n_ref
        f_exp = [ref.get(k, 0) * k_norm for k in keys]
        f_obs = [cur.get(k, 0) for k in keys]
        # A category new in the current data has an expected count of 0: the statistic
        # is infinite and p = 0, as in Evidently; the division warning is noise.
        with np.errstate(divide="ignore"):
            return float(stats.chisquare(f_obs, f_exp)[1])
    if name == "jensenshannon":
        ref_p = np.array([ref.get(k, 0) / n_ref for k in keys])
        cur_p = np.array([cur.get(k, 0) / n_cur for k in keys])
        return jensenshannon(ref_p, cur_p)
    if name == "z":
        ref_present = [k for k, n in ref.items() if n > 0]
        cur_present = [k for k, n in cur.items() if n > 0]
        if len(ref_present) == 1 and len(cur_present) == 1 and ref_present[0] == cur_present[0]:
            return 1.0
        first = _sorted_keys(keys)[0]
        # Share of values other than the smallest category, on each side.
        p1 = (n_ref - ref.get(first, 0)) / n_ref
        p2 = (n_cur - cur.get(first, 0)) / n_cur
        pooled = (p1 * n_ref + p2 * n_cur) / (n_ref + n_cur)
        z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n_ref + 1.0 / n_cur))
        from scipy import stats

        return float(2 * (1 - stats.norm.cdf(np.abs(z))))
    raise UsageError(f"method '{name}' does not apply to categorical data")


def jensenshannon(p: np.ndarray, q: np.ndarray) -> float:
    """``scipy.spatial.distance.jensenshannon(p, q)`` (natural log), step for step.

    The same operations on the same ufunc (``scipy.special.rel_entr``), without
    importing ``scipy.spatial`` — and ``scipy.stats`` is imported only by the
    small-data tests (K-S, chi-square, Z): together they cost a fresh process (the
    CLI) about a second before any data is read.
    """
    p = np.asarray(p)
    q = np.asarray(q)
    p = p / np.sum(p, axis=0, keepdims=True)
    q = q / np.sum(q, axis=0, keepdims=True)
    m = (p + q) / 2.0
    js = np.sum(rel_entr(p, m), axis=0) + np.sum(rel_entr(q, m), axis=0)
    return float(np.sqrt(js / 2.0))


def _sorted_keys(keys: list) -> list:
    try:
        return sorted(keys)
    except TypeError:  # mixed types: Evidently would fail; any fixed order will do
        return sorted(keys, key=lambda k: (type(k).__name__, str(k)))


def wasserstein_to_sample(values: np.ndarray, counts: np.ndarray, x_sorted: np.ndarray) -> float:
    """Exact first Wasserstein distance between weighted atoms and a sorted sample.

    ``W = ∫₀¹ |Q_ref(u) − Q_cur(u)| du``, both quantile functions being step
    functions. The u-axis is scaled by ``n·m`` so every breakpoint is an integer: atom
    ``i`` ends at ``C_i = cumsum(counts)_i · m``, current value ``j`` (0-based) covers
    ``(j·n, (j+1)·n]``. Each current value is first paired with the atom holding the
    end of its piece of the axis — one ``np.repeat`` and one pass over the sample —
    then the at most ``len(values)`` pieces cut by an atom boundary are corrected.

    Args:
        values: Sorted atom positions of the reference.
        counts: Positive weights of the atoms (reference counts).
        x_sorted: The current values, sorted ascending, all finite.

    Returns:
        The distance, equal to ``scipy.stats.wasserstein_distance(np.repeat(values,
        counts), x_sorted)`` up to rounding.
    """
    n = int(counts.sum())
    m = int(x_sorted.size)
    ends = np.cumsum(counts, dtype=np.int64) * m
    # Current value j is paired with atom a(j) = #{i: C_i < (j+1)·n}; hence
    # #{j: a(j) <= i} = C_i // n.
    per_atom = np.diff(ends // n, prepend=0)
    main = float(np.abs(np.repeat(values, per_atom) - x_sorted).sum()) * n
    # Atom boundaries strictly inside a current piece: the part of that piece from
    # the previous boundary (or the piece start) up to this boundary belongs to atom
    # i, not to a(j).
    inner = np.flatnonzero(ends[:-1] % n)
    if inner.size == 0:
        return main / (float(n) * float(m))
    c = ends[inner]
    j = c // n
    start = np.maximum(np.where(inner > 0, ends[inner - 1], 0), j * n)
    paired = np.searchsorted(ends, (j + 1) * n, side="left")
    x = x_sorted[j]
    fix = (c - start).astype(np.float64) * (np.abs(values[inner] - x) - np.abs(values[paired] - x))
    return (main + float(fix.sum())) / (float(n) * float(m))
