"""The promotion gate: declared thresholds + beating the current alias holder.

A gate preview judges on the versions' run metrics and never loads a model. Scoring
both versions on the declared evaluation dataset is an explicit action (``score=True``;
:func:`promote` does it), and happens in a short-lived process of its own
(:mod:`.scoring`), only for versions whose files :mod:`.safety` vouches for.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import names
from ..exceptions import UsageError
from ..mlflow_errors import translated
from . import aliases, common, safety
from . import policy as policy_module
from .evaluation import evaluator
from .policy import parse_thresholds


def _run_metrics(run_id: str | None) -> dict[str, float]:
    if not run_id:
        return {}
    with translated("cannot read the run of the model version"):
        return dict(common.client().get_run(run_id).data.metrics)


def effective_policy(declared: policy_module.GatePolicy | None, *,
                     thresholds: list[str] | None = None,
                     metric: str | None = None, margin: float | None = None,
                     higher_is_better: bool | None = None,
                     evaluate: Callable[[str], float] | None = None, score: bool = False
                     ) -> tuple[policy_module.GatePolicy, Callable[[str], float] | None]:
    """The model's ``declared`` policy with any explicit argument overriding its field.

    Returns:
        ``(policy, evaluate)``: with ``score``, ``evaluate`` scores a version on the
        declared evaluation dataset (in a process of its own) unless the caller gave
        one (or the metric is not computable on a dataset); without, it is the
        caller's ``evaluate`` (None: the comparison uses run metrics).
    """
    base = declared or policy_module.GatePolicy()
    chosen_metric = metric.strip() if isinstance(metric, str) and metric.strip() else base.metric
    if higher_is_better is None:
        higher_is_better = base.higher_is_better if chosen_metric == base.metric \
            else chosen_metric not in policy_module.LOWER_IS_BETTER
    policy = policy_module.GatePolicy(
        thresholds=list(thresholds) if thresholds else list(base.thresholds),
        metric=chosen_metric, higher_is_better=bool(higher_is_better),
        margin=_margin(base.margin if margin is None else margin),
        evaluation=base.evaluation, live=base.live)
    if score and evaluate is None and policy.evaluation is not None \
            and policy.metric in policy_module.EVALUATION_METRICS:
        evaluate = evaluator(policy.evaluation, policy.metric)
    return policy, evaluate


def evaluate_gate(name: str, version: Any, *, thresholds: list[str] | None = None,
                  compare_to: str | None = "champion", margin: float | None = None,
                  metric: str | None = None, higher_is_better: bool | None = None,
                  evaluate: Callable[[str], float] | None = None,
                  score: bool = False) -> dict[str, Any]:
    """Judge whether ``name``/``version`` may take alias ``compare_to``.

    Args:
        name: registered model.
        version: candidate version.
        thresholds: expressions on the candidate run's metrics, e.g. ``["accuracy >= 0.9"]``.
        compare_to: alias whose current holder the candidate must beat (None: skip).
        margin: how much better the candidate must be (absolute, same units as ``metric``).
        metric: the comparison metric (the run metric used when nothing evaluates).
        higher_is_better: direction of ``metric``.
        evaluate: ``evaluate(model_uri) -> float`` scoring a model on one evaluation
            dataset; called for candidate and holder so both are judged on the same data.
        score: score both versions on the declared evaluation dataset (each in a
            short-lived process). False (a preview): nothing is loaded, the comparison
            uses run metrics; ``scorable`` in the result says whether scoring applies.

        Arguments left None come from the model's declared policy
        (:mod:`.policy`), whose evaluation dataset scores both versions. A declared
        ``live`` rule adds a check of kind ``live`` when ``compare_to`` is its alias
        and another version holds it: the candidate's live evidence (labelled
        requests served as challenger/shadow, both accuracies, p-value) goes into
        ``scores["live"]``; it reads the inference log and loads no model. It then
        replaces the comparison on the two versions' run metrics (measured on
        different data); a comparison on the evaluation dataset is kept.

    Returns:
        ``{passed, reasons, checks, candidate, holder, scores, policy, declared}``;
        each check is ``{kind, name, passed, actual, expected, reason}``.

    Raises:
        UsageError: malformed thresholds or arguments; NotFoundError: unknown model/version.
    """
    parse_thresholds(thresholds)
    registered = common.get_registered_model(name)  # read once: policy, aliases
    candidate = common.get_version(name, version, registered=registered)
    declared = policy_module.policy_from_tags(dict(registered.tags or {}))
    policy, evaluate = effective_policy(
        declared, thresholds=thresholds, metric=metric, margin=margin,
        higher_is_better=higher_is_better, evaluate=evaluate, score=score)
    parsed = parse_thresholds(policy.thresholds)
    margin, metric, higher_is_better = policy.margin, policy.metric, policy.higher_is_better
    if compare_to is not None:
        names.check_alias(compare_to)
    checks: list[dict[str, Any]] = []
    metrics = _run_metrics(candidate.run_id)
    for threshold in parsed:
        actual = metrics.get(threshold.metric)
        if actual is None:
            checks.append({"kind": "threshold", "name": str(threshold), "passed": False,
                           "actual": None, "expected": str(threshold),
                           "reason": f"the run of version {candidate.version} has no metric "
                                     f"{threshold.metric!r} (required: {threshold})"})
            continue
        ok = threshold.holds(actual)
        checks.append({"kind": "threshold", "name": str(threshold), "passed": ok,
                       "actual": actual, "expected": str(threshold),
                       "reason": f"{threshold.metric} = {actual:g} "
                                 f"{'meets' if ok else 'fails'} {threshold}"})
    holder = common.alias_holder(name, compare_to, registered=registered) \
        if compare_to else None
    scores: dict[str, Any] = {}
    contested = holder is not None and str(holder.version) != str(candidate.version)
    live = policy.live if contested and policy.live is not None \
        and compare_to == policy.live.alias else None
    # Two runs' own metrics were measured on different data; with a live rule the
    # holder is beaten on the same traffic instead. A shared evaluation dataset stays.
    if contested and (live is None or evaluate is not None):
        check, scores = _compare(candidate, holder, compare_to, margin, metric,
                                 higher_is_better, evaluate, metrics)
        checks.append(check)
    if live is not None:
        from ..inference.abtest import live_check  # reads the inference log; loads no model

        check, scores["live"] = live_check(name, str(candidate.version), str(holder.version),
                                           live, alias=compare_to)
        checks.append(check)
    failed = [check["reason"] for check in checks if not check["passed"]]
    return {"passed": not failed, "reasons": failed, "checks": checks,
            "candidate": str(candidate.version),
            "holder": None if holder is None else str(holder.version),
            "compare_to": compare_to, "scores": scores, "policy": policy.public_dict(),
            "declared": declared is not None,
            "scorable": policy.evaluation is not None
            and policy.metric in policy_module.EVALUATION_METRICS}


def _margin(margin: Any) -> float:
    try:
        value = float(margin)
    except (TypeError, ValueError):
        raise UsageError(f"margin must be a number, got {str(margin)[:40]!r}") from None
    if not math.isfinite(value) or value < 0:
        raise UsageError("margin must be a finite number >= 0")
    return value


def _compare(candidate, holder, alias, margin, metric, higher_is_better, evaluate,
             candidate_metrics):
    label = f"beats {alias} (version {holder.version}) on {metric} by {margin:g}"
    if evaluate is not None:
        source = "evaluation"
        uris = [safety.safe_model_uri(candidate.name, candidate.version),
                safety.safe_model_uri(holder.name, holder.version)]  # refuse before loading
        many = getattr(evaluate, "many", None)  # both in one scoring process
        values = [_as_score(value) for value in (many(uris) if many is not None
                                                 else [evaluate(uri) for uri in uris])]
        scores = {"candidate": values[0], "holder": values[1]}
    else:
        source = "run metrics"
        scores = {"candidate": candidate_metrics.get(metric),
                  "holder": _run_metrics(holder.run_id).get(metric)}
    scores.update(metric=metric, source=source, margin=margin)
    cand, held = scores["candidate"], scores["holder"]
    if cand is None or held is None:
        who = "candidate" if cand is None else f"{alias} (version {holder.version})"
        return ({"kind": "comparison", "name": label, "passed": False, "actual": cand,
                 "expected": held, "reason": f"cannot compare: the {who} run has no metric "
                                             f"{metric!r}"}, scores)
    ok = cand >= held + margin if higher_is_better else cand <= held - margin
    sign = "+" if higher_is_better else "-"
    reason = (f"{metric} {cand:g} vs {alias} (version {holder.version}) {held:g} on {source}: "
              f"{'beats' if ok else 'does not beat'} it by the margin "
              f"(needs {'>=' if higher_is_better else '<='} {held:g} {sign} {margin:g})")
    return ({"kind": "comparison", "name": label, "passed": ok, "actual": cand,
             "expected": held, "reason": reason}, scores)


def _as_score(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"the evaluate callback returned {type(value).__name__}, "
                         "not a number") from None
    if math.isnan(number):
        raise UsageError("the evaluate callback returned NaN")
    return number


def promote(name: str, version: Any, alias: str = "champion", *,
            thresholds: list[str] | None = None, force: bool = False,
            reason: str | None = None, actor: str | None = None,
            margin: float | None = None, metric: str | None = None,
            higher_is_better: bool | None = None, evaluate: Callable[[str], float] | None = None,
            score: bool = True) -> dict[str, Any]:
    """Run the gate and move ``alias`` to ``version`` only if it passes (or is forced).

    Unset gate arguments come from the model's declared policy (see
    :func:`evaluate_gate`); a declared evaluation dataset scores both versions
    (``score``, each in a process of its own). When both versions were scored on the evaluation
    dataset, the scores are also logged as a run of the ``mlops-gate`` experiment.
    Every decision is recorded in the alias history: ``set`` (passed), ``refused``
    (nothing else changed) and ``forced`` (with its reason and the failed verdict).
    The alias generation is read before the gate runs, so if another promotion of
    the same alias lands meanwhile, this one raises ConflictError and changes nothing.

    Returns:
        ``{promoted, verdict, entry}``; ``entry`` is the history entry written.

    Raises:
        UsageError: ``force`` without a non-empty reason, malformed thresholds.
        NotFoundError: unknown model/version. ConflictError: concurrent move.
    """
    names.check_alias(alias)
    if force and (not isinstance(reason, str) or not reason.strip()):
        raise UsageError("--force requires a reason (it is recorded in the alias history)")
    parse_thresholds(thresholds)
    target = common.get_version(name, version)
    start = aliases.generation(name, alias)
    verdict = evaluate_gate(name, target.version, thresholds=thresholds, compare_to=alias,
                            margin=margin, metric=metric, higher_is_better=higher_is_better,
                            evaluate=evaluate, score=score)
    details = {"gate": {"passed": verdict["passed"], "reasons": verdict["reasons"][:20],
                        "scores": verdict["scores"]}}
    _log_evaluation(name, alias, verdict)
    if not verdict["passed"] and not force:
        entry = aliases.record(name, alias, {
            "actor": aliases._actor(actor), "action": "refused",
            "from_version": verdict["holder"], "to_version": str(target.version),
            "reason": reason or "", **details})
        return {"promoted": False, "verdict": verdict, "entry": entry}
    entry = aliases.set_alias(name, alias, target.version,
                              reason=reason or "passed the gate", actor=actor,
                              forced=not verdict["passed"], expected_generation=start,
                              details=details)
    _tag_verdict(name, target.version, verdict)
    return {"promoted": True, "verdict": verdict, "entry": entry}


def _tag_verdict(name: str, version: Any, verdict: dict[str, Any]) -> None:
    import json

    text = json.dumps({key: verdict[key] for key in ("passed", "reasons", "scores")},
                      default=str)[:50_000]
    with translated("cannot record the gate verdict"):
        common.client().set_model_version_tag(name, str(version), "mlops.gate.last_verdict",
                                              text)


GATE_EXPERIMENT = "mlops-gate"


def _log_evaluation(name: str, alias: str, verdict: dict[str, Any]) -> None:
    """Record both versions' scores on the evaluation dataset as an MLflow run."""
    scores = verdict["scores"]
    if scores.get("source") != "evaluation":
        return
    from ..tracking.store import get_or_create_experiment

    client = common.client()
    with translated("cannot log the gate evaluation"):
        experiment_id = get_or_create_experiment(GATE_EXPERIMENT)
        run = client.create_run(experiment_id, run_name=f"{name} v{verdict['candidate']}",
                                tags={"mlops.gate.model": name, "mlops.gate.alias": alias,
                                      "mlops.gate.passed": str(verdict["passed"]).lower()})
        evaluation = verdict["policy"].get("evaluation") or {}
        params = {"model": name, "candidate": verdict["candidate"],
                  "holder": verdict["holder"] or "", "metric": scores["metric"],
                  "margin": scores["margin"],
                  "dataset": evaluation.get("data", "")}
        for key, value in params.items():
            client.log_param(run.info.run_id, key, value)
        for key in ("candidate", "holder"):
            if isinstance(scores.get(key), (int, float)):
                client.log_metric(run.info.run_id, f"{key}_{scores['metric']}", scores[key])
        client.set_terminated(run.info.run_id, "FINISHED")
    scores["run_id"] = run.info.run_id
