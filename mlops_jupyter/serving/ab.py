"""A/B and shadow decisions on live traffic, and the automatic promotion they drive.

:func:`compare` (from :mod:`..inference.abtest`) reads a window of the inference log (``logbook.read_window``) and
judges the challenger against the champion on the labelled rows (feedback joined by
request id): a two-proportion z-test on accuracy, the sample each side rests on and
the minimum sample the observed effect needs at 80 % power. A shadow variant answers
the same requests as the champion, so it is judged pairwise: its agreement with the
champion and, on labelled rows, McNemar's exact test. Nothing here loads a model —
the predictions are in the log.

:func:`promote_if_winner` closes the loop (maturity level 4): when the model's gate
declares a ``live:`` rule and a challenger (or shadow) version wins decisively on the
window, it asks the gate to promote it; the gate re-checks everything, including the
live rule, and records the evidence in the alias history.
"""

from __future__ import annotations

from typing import Any

from ..inference.abtest import (
    MIN_LABELLED,
    POWER,
    as_duration,
    candidate_evidence,
    compare,
    live_check,
    mcnemar,
    min_sample,
    version_key,
    versus,
    z_test,
)

__all__ = ["MIN_LABELLED", "POWER", "candidate_evidence", "compare", "live_check", "mcnemar",
           "min_sample", "promote_if_winner", "report", "versus", "z_test"]


def promote_if_winner(model: str, *, last=None, source: str | None = None
                      ) -> dict[str, Any] | None:
    """Promote the version that won on live traffic, through the gate.

    When the model's gate declares a ``live:`` rule and a challenger (or shadow)
    version beat the holder of the rule's alias decisively on the window, call
    :func:`..registry.gate.promote` with ``actor="live-gate"``: the gate re-checks
    everything (thresholds, a declared evaluation-dataset comparison, the live rule
    on its own window) and records the decision and its evidence in the alias
    history. A version that did not win is not sent to the gate (no refusal is
    recorded on every scheduled check).

    Args:
        model: registered model name.
        last: the window judged here (a timedelta or "24h"); default the rule's
            ``window``, which is also what the gate judges on.
        source: who asked (``schedule``, ``cli``...), named in the recorded reason.

    Returns:
        None when the gate has no live rule; else ``{promoted, version, alias,
        reason, evidence, entry?, gate_reasons?}``.
    """
    from ..inference.logbook import read_window
    from ..registry import common, gate
    from ..registry.policy import declared_policy

    declared = declared_policy(model)
    if declared is None or declared.live is None:
        return None
    rule = declared.live
    window = as_duration(last) if last is not None else as_duration(rule.window)
    holder = common.alias_holder(model, rule.alias)
    base = {"promoted": False, "alias": rule.alias, "version": None, "evidence": None}
    if holder is None:
        return {**base, "reason": f"no version holds @{rule.alias} yet"}
    frame = read_window(model, last=window)
    versions = sorted({str(v) for v in frame.loc[frame["variant"].isin(
        ["challenger", "shadow"]), "version"].dropna()} - {str(holder.version)},
        key=version_key) if not frame.empty else []
    if not versions:
        return {**base, "reason": f"no challenger or shadow version other than @{rule.alias} "
                                  f"(v{holder.version}) served in the window"}
    judged = [(version, *live_check(model, version, str(holder.version), rule,
                                    alias=rule.alias, frame=frame)) for version in versions]
    winners = [item for item in judged if item[1]["passed"]]
    if not winners:
        version, check, evidence = max(judged, key=lambda i: i[2]["labelled_requests"])
        return {**base, "version": version, "evidence": evidence, "reason": check["reason"]}
    version, check, evidence = min(winners, key=lambda i: i[2]["p_value"])
    reason = f"won on live traffic: {check['reason']}"
    if source:
        reason += f" [checked by {source}]"
    outcome = gate.promote(model, version, rule.alias, reason=reason[:900], actor="live-gate")
    return {**base, "promoted": outcome["promoted"], "version": version, "reason": reason,
            "evidence": evidence, "entry": outcome["entry"],
            "gate_reasons": outcome["verdict"]["reasons"]}


def report(model: str, *, last: str = "24h", metric: str = "accuracy",
           alpha: float = 0.05) -> dict[str, Any]:
    """:func:`compare` on ``model``'s inference log over ``last`` (``mlops models ab``).

    Raises:
        NotFoundError: unknown model. UsageError: a malformed window or metric.
    """
    from ..inference.logbook import read_window
    from ..registry import common

    common.get_registered_model(model)
    frame = read_window(model, last=as_duration(last))
    return {"model": model, "last": last, **compare(frame, metric=metric, alpha=alpha)}
