"""The statistics of an A/B or shadow test on a window of the inference log.

Pure functions of a ``logbook.read_window`` frame (no registry, no model loading):
per-variant numbers, the two-proportion z-test challenger vs champion with the
minimum sample at 80 % power, a shadow's agreement with the champion and McNemar's
exact paired test, and :func:`live_check`, the gate's ``live`` check. The public
face is :mod:`.ab` (which adds the automatic promotion); the gate imports this
module directly so that the registry never depends on the promotion built on it.
"""

from __future__ import annotations

import math
from typing import Any

from .. import names
from ..exceptions import UsageError

#: Below this many labelled rows per side the normal approximation is not trusted.
MIN_LABELLED = 30
POWER = 0.8
METRICS = ("accuracy",)
ROLES = ("champion", "challenger", "shadow")


def _norm_ppf(q: float) -> float:
    try:
        from scipy.stats import norm

        return float(norm.ppf(q))
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn here
        from statistics import NormalDist

        return NormalDist().inv_cdf(q)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def _labelled(frame):
    """Rows answered without error that carry both a prediction and a label."""
    ok = frame["prediction"].notna() & frame["label"].notna()
    if "status" in frame.columns:
        ok &= frame["status"].fillna(0).astype(int).between(200, 299)
    return frame[ok]


def _with_labels(frame):
    """Labels are given per request (and row): share them with every variant that
    answered the same request (a shadow's copy of a labelled champion request)."""
    import pandas as pd

    if frame.empty or "label" not in frame.columns:
        return frame.assign(label=pd.Series(dtype="float64"))
    labels = frame.dropna(subset=["label"]).drop_duplicates(["request_id", "row"])
    if labels.empty:
        return frame
    keyed = labels.set_index(["request_id", "row"])["label"]
    index = pd.MultiIndex.from_frame(frame[["request_id", "row"]])
    return frame.assign(label=frame["label"].fillna(
        pd.Series(keyed.reindex(index).to_numpy(), index=frame.index)))


def _variant_stats(rows) -> dict[str, Any]:
    labelled = _labelled(rows)
    correct = int((labelled["prediction"] == labelled["label"]).sum())
    errors = 0
    if "status" in rows.columns:
        failed = rows[~rows["status"].fillna(0).astype(int).between(200, 299)]
        errors = int(failed["request_id"].nunique())
    versions = sorted({str(v) for v in rows["version"].dropna()}, key=version_key)
    return {"requests": int(rows["request_id"].nunique()), "rows": len(rows),
            "errors": errors, "labelled": len(labelled),
            "labelled_requests": int(labelled["request_id"].nunique()),
            "correct": correct, "versions": versions,
            "accuracy": correct / len(labelled) if len(labelled) else None}


def version_key(version: str):
    """Sort key of version strings: numbers in numeric order, then the rest."""
    return (0, int(version)) if names.is_decimal(version) else (1, version)


def min_sample(p1: float, p2: float, alpha: float, power: float = POWER) -> int | None:
    """Labelled rows per side a two-proportion z-test needs to detect ``p1 - p2``
    (two-sided ``alpha``, given ``power``); None when there is no effect to detect."""
    effect = abs(p1 - p2)
    if effect == 0:
        return None
    mean = (p1 + p2) / 2
    z_alpha, z_power = _norm_ppf(1 - alpha / 2), _norm_ppf(power)
    root = z_alpha * math.sqrt(2 * mean * (1 - mean)) \
        + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (effect * effect))


def z_test(correct_a: int, n_a: int, correct_b: int, n_b: int) -> tuple[float, float]:
    """Two-proportion z-test (pooled) of a vs b: ``(z, two-sided p)``."""
    pooled = (correct_a + correct_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:  # both perfect or both always wrong: no difference to see
        return 0.0, 1.0
    z = (correct_a / n_a - correct_b / n_b) / se
    return z, _two_sided_p(z)


def mcnemar(only_a: int, only_b: int) -> float:
    """Exact McNemar p-value: ``only_a`` pairs where a alone is right, ``only_b`` b."""
    total = only_a + only_b
    if total == 0:
        return 1.0
    try:
        from scipy.stats import binomtest

        return float(binomtest(only_a, total, 0.5).pvalue)
    except ImportError:  # pragma: no cover
        tail = sum(math.comb(total, k) for k in range(min(only_a, only_b) + 1)) / 2 ** total
        return min(1.0, 2 * tail)


def _decide(better: bool, p_value: float, alpha: float, n: int, who: str) -> tuple[str, str | None]:
    if n < MIN_LABELLED:
        return f"not enough data (n < {MIN_LABELLED} labelled rows per variant)", None
    if p_value < alpha:
        return (f"{who} better", who) if better else ("champion better", "champion")
    return "no significant difference", None


def _challenger_test(champion: dict, challenger: dict, alpha: float) -> dict[str, Any]:
    n_a, n_b = challenger["labelled"], champion["labelled"]
    test: dict[str, Any] = {"kind": "two-proportion z-test", "against": "challenger",
                            "n": {"challenger": n_a, "champion": n_b}, "alpha": alpha}
    if not n_a or not n_b:
        test.update(z=None, p_value=None, difference=None, min_sample=None,
                    verdict=f"not enough data (n < {MIN_LABELLED} labelled rows per "
                            f"variant; no labels yet)", winner=None)
        return test
    z, p_value = z_test(challenger["correct"], n_a, champion["correct"], n_b)
    p1, p2 = challenger["accuracy"], champion["accuracy"]
    verdict, winner = _decide(p1 > p2, p_value, alpha, min(n_a, n_b), "challenger")
    test.update(z=z, p_value=p_value, difference=p1 - p2, min_sample=min_sample(p1, p2, alpha),
                verdict=verdict, winner=winner,
                power_note=f"min_sample: labelled rows per variant needed to detect the "
                           f"observed difference at {POWER:.0%} power (alpha {alpha:g})")
    return test


def _shadow_test(frame, alpha: float) -> dict[str, Any] | None:
    champion = frame[frame["variant"] == "champion"]
    shadow = frame[frame["variant"] == "shadow"]
    if shadow.empty:
        return None
    pairs = champion.merge(shadow, on=["request_id", "row"], suffixes=("_c", "_s"))
    pairs = pairs[pairs["prediction_c"].notna() & pairs["prediction_s"].notna()]
    agree = float((pairs["prediction_c"] == pairs["prediction_s"]).mean()) \
        if len(pairs) else None
    result: dict[str, Any] = {"kind": "McNemar exact test (paired, same requests)",
                              "against": "shadow", "pairs": len(pairs),
                              "agreement": agree, "alpha": alpha}
    labelled = pairs[pairs["label_c"].notna()] if "label_c" in pairs.columns else pairs[:0]
    n = len(labelled)
    if not n:
        result.update(labelled=0, labelled_requests=0, p_value=None, winner=None,
                      verdict=f"not enough data (n < {MIN_LABELLED} labelled rows; "
                              f"no labels yet)")
        return result
    right_c = labelled["prediction_c"] == labelled["label_c"]
    right_s = labelled["prediction_s"] == labelled["label_c"]
    only_s, only_c = int((right_s & ~right_c).sum()), int((right_c & ~right_s).sum())
    p_value = mcnemar(only_s, only_c)
    acc_s, acc_c = float(right_s.mean()), float(right_c.mean())
    verdict, winner = _decide(acc_s > acc_c, p_value, alpha, n, "shadow")
    result.update(labelled=n, labelled_requests=int(labelled["request_id"].nunique()),
                  shadow_accuracy=acc_s, champion_accuracy=acc_c,
                  only_shadow_right=only_s, only_champion_right=only_c, p_value=p_value,
                  difference=acc_s - acc_c, verdict=verdict, winner=winner)
    return result


def compare(frame, *, metric: str = "accuracy", alpha: float = 0.05) -> dict[str, Any]:
    """Champion vs challenger (and shadow) on a window of the inference log.

    Args:
        frame: a ``logbook.read_window`` frame (columns request_id, row, variant,
            version, status, prediction, label, ...).
        metric: the compared metric; ``accuracy`` (prediction == label).
        alpha: significance level of the two-sided tests.

    Returns:
        ``{metric, alpha, variants: {role: {requests, rows, errors, labelled,
        labelled_requests, correct, versions, accuracy}}, test, shadow, verdict,
        winner}``: ``test`` is the two-proportion z-test challenger vs champion
        (``z``, ``p_value``, ``min_sample`` per variant at 80 % power), ``shadow``
        the paired comparison (``agreement``, McNemar ``p_value``); ``verdict`` is
        "challenger better" / "champion better" / "no significant difference" /
        "not enough data (n < ...)".

    Raises:
        UsageError: an unsupported metric or alpha.
    """
    if metric not in METRICS:
        raise UsageError(f"metric {metric!r}: live comparisons support {', '.join(METRICS)}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise UsageError("alpha (p_value) must be a number between 0 and 1")
    frame = _with_labels(frame)
    variants = {role: _variant_stats(frame[frame["variant"] == role]) for role in ROLES
                if not frame.empty and (frame["variant"] == role).any()}
    test = None
    if "champion" in variants and "challenger" in variants:
        test = _challenger_test(variants["champion"], variants["challenger"], alpha)
    shadow = _shadow_test(frame, alpha) if "shadow" in variants else None
    decisive = test or shadow
    if decisive is None:
        verdict = "no challenger or shadow traffic in the window" if not frame.empty \
            else "no requests in the window"
    else:
        verdict = decisive["verdict"]
    return {"metric": metric, "alpha": alpha, "variants": variants, "test": test,
            "shadow": shadow, "verdict": verdict,
            "winner": None if decisive is None else decisive["winner"]}


def versus(frame, candidate: str, holder: str | None, *, metric: str = "accuracy",
           alpha: float = 0.05) -> dict[str, Any]:
    """:func:`compare` of version ``candidate`` (as challenger or shadow) against
    version ``holder`` (as champion), other versions' rows left out."""
    if frame.empty:
        return compare(frame, metric=metric, alpha=alpha)
    version = frame["version"].astype("string")
    keep = ((frame["variant"] == "champion") & (version == str(holder))) | \
        (frame["variant"].isin(["challenger", "shadow"]) & (version == str(candidate)))
    return compare(frame[keep.fillna(False)], metric=metric, alpha=alpha)


def candidate_evidence(result: dict[str, Any]) -> dict[str, Any]:
    """The numbers a live gate decision rests on, from a :func:`versus` result."""
    test, shadow = result["test"], result["shadow"]
    challenger = result["variants"].get("challenger") or {}
    if test is not None and (shadow is None or challenger.get("labelled", 0)
                             >= (shadow.get("labelled") or 0)):
        return {"as": "challenger",
                "labelled_requests": challenger.get("labelled_requests", 0),
                "candidate_accuracy": challenger.get("accuracy"),
                "holder_accuracy": result["variants"]["champion"]["accuracy"],
                "p_value": test["p_value"], "test": test["kind"], "verdict": test["verdict"],
                "won": test["winner"] == "challenger"}
    if shadow is not None:
        return {"as": "shadow", "labelled_requests": shadow.get("labelled_requests", 0),
                "candidate_accuracy": shadow.get("shadow_accuracy"),
                "holder_accuracy": shadow.get("champion_accuracy"),
                "p_value": shadow.get("p_value"), "test": shadow["kind"],
                "agreement": shadow.get("agreement"), "verdict": shadow["verdict"],
                "won": shadow["winner"] == "shadow"}
    return {"as": None, "labelled_requests": 0, "candidate_accuracy": None,
            "holder_accuracy": None, "p_value": None, "test": None,
            "verdict": result["verdict"], "won": False}



# --- the gate's live check ---------------------------------------------------------


def as_duration(last):
    """A window given as ``"24h"`` (``logbook.parse_duration``) or a timedelta."""
    from .logbook import parse_duration

    return parse_duration(last) if isinstance(last, str) else last


def live_check(name: str, candidate: str, holder: str, rule, *, alias: str = "champion",
               frame=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The gate's ``live`` check of ``candidate`` against ``holder`` of ``alias``.

    Args:
        name: registered model.
        candidate: the version asking for ``alias``.
        holder: the version holding it now.
        rule: a :class:`..registry.policy.LiveRule`.
        alias: the alias being moved (named in the reason).
        frame: a ``read_window`` frame to judge on (default: the rule's window).

    Returns:
        ``(check, evidence)``: ``check`` is ``{kind: "live", name, passed, actual,
        expected, reason}``; ``evidence`` has n, both accuracies and the p-value.
    """
    if frame is None:
        from .logbook import read_window

        frame = read_window(name, last=as_duration(rule.window))
    result = versus(frame, candidate, holder, metric=rule.beats_champion, alpha=rule.p_value)
    evidence = candidate_evidence(result)
    evidence.update(window=rule.window, min_requests=rule.min_requests,
                    p_threshold=rule.p_value, metric=rule.beats_champion,
                    candidate=str(candidate), holder=str(holder))
    n, p_value = evidence["labelled_requests"], evidence["p_value"]
    passed = bool(evidence["won"]) and n >= rule.min_requests \
        and p_value is not None and p_value < rule.p_value
    cand, held = evidence["candidate_accuracy"], evidence["holder_accuracy"]
    shown = (f"live {rule.beats_champion} v{candidate} {_fmt(cand)} vs {alias} "
             f"v{holder} {_fmt(held)} on {n} labelled requests"
             f"{' as ' + evidence['as'] if evidence['as'] else ''} (last {rule.window}), "
             f"p = {_fmt(p_value, '.3g')}")
    needs = f"needs >= {rule.min_requests} labelled requests and a win with p < {rule.p_value:g}"
    reason = f"{shown}: {'beats' if passed else 'does not beat'} it ({needs})"
    check = {"kind": "live", "name": f"beats {alias} on live traffic ({needs})",
             "passed": passed, "actual": cand, "expected": held, "reason": reason}
    return check, evidence


def _fmt(value, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


