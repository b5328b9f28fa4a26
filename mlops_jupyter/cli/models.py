"""``mlops models list|promote|gate|rollback|lineage|ab``: the registry from the command
line."""

from __future__ import annotations

import os

from ..exceptions import UsageError
from .common import add_group, add_json_flag, print_result


def cmd_models_list(args) -> int:
    """Registered models, their versions, metrics and aliases (metadata only)."""
    from ..registry.listing import list_models

    models = list_models()

    def render(data) -> str:
        if not data:
            return "no registered models (register one with %mlops register VAR --name NAME)"
        lines = []
        for model in data:
            aliases = ", ".join(f"@{a}=v{v}" for a, v in sorted(model["aliases"].items()))
            lines.append(f"{model['name']}  ({len(model['versions'])} versions) {aliases}")
            for version in model["versions"][: args.versions]:
                metrics = "  ".join(f"{k}={v:.4g}" for k, v in
                                    sorted(version["metrics"].items())[:4])
                held = " ".join(f"@{a}" for a in version["aliases"])
                lines.append(f"  v{version['version']:<4} {version['flavor'] or '?':8} "
                             f"{held:22} {metrics}")
        return "\n".join(lines)

    print_result(models, args.json, render)
    return 0


def cmd_models_promote(args) -> int:
    """Move an alias to a version through the promotion gate."""
    from ..registry import promote

    result = promote(args.model, args.version, args.alias, thresholds=args.threshold,
                     force=args.force, reason=args.reason, margin=args.margin,
                     metric=args.metric, higher_is_better=_higher_is_better(args))

    def render(data) -> str:
        head = (f"{args.model} v{args.version} -> @{args.alias}: "
                f"{'promoted' if data['promoted'] else 'refused'}"
                f"{' (forced)' if args.force and data['promoted'] else ''}")
        return "\n".join([head, *_verdict_lines(data["verdict"])])

    print_result(result, args.json, render)
    return 0 if result["promoted"] else 1


def _higher_is_better(args) -> bool | None:
    return None if args.lower_is_better is None else not args.lower_is_better


def _verdict_lines(verdict: dict) -> list[str]:
    return [f"  {'ok ' if check['passed'] else 'NO '} {check['reason']}"
            for check in verdict.get("checks", [])] or [("  (no checks: no thresholds "
                                                         "and no holder to beat)")]


def _policy_lines(policy: dict | None) -> list[str]:
    if policy is None:
        return ["no gate declared (promotions compare run metrics on accuracy)"]
    evaluation = policy.get("evaluation")
    direction = "higher" if policy["higher_is_better"] else "lower"
    live = policy.get("live")
    return [f"thresholds: {', '.join(policy['thresholds']) or '(none)'}",
            (f"beat the holder on {policy['metric']} ({direction} is better) "
            f"by {policy['margin']:g}"),
            "scored on: " + (f"{os.path.basename(evaluation['data'])} "
                             f"(target {evaluation['target']})" if evaluation
                             else "the versions' own run metrics"),
            *([(f"live (@{live['alias']}): >= {live['min_requests']} labelled requests as "
                f"challenger/shadow in the last {live['window']}, beating it on "
                f"{live['beats_champion']} with p < {live['p_value']:g}")] if live else [])]


def cmd_models_gate(args) -> int:
    """Show, declare or preview a model's promotion gate."""
    from ..registry import gate, policy

    if args.set and args.version:
        raise UsageError("--set and --version do not go together")
    if args.set:
        fields = {key: value for key, value in {
            "thresholds": args.threshold, "metric": args.metric, "margin": args.margin,
            "higher_is_better": _higher_is_better(args)}.items() if value is not None}
        if args.data or args.target:
            fields["evaluation"] = {"data": os.path.abspath(args.data or ""),
                                    "target": args.target}
        live = {key: value for key, value in {
            "min_requests": args.live_min_requests, "p_value": args.live_p_value,
            "window": args.live_window}.items() if value is not None}
        if live:
            fields["live"] = live
        declared = policy.parse_policy(fields, where="gate")
        policy.declare_policy(args.model, declared)
        print_result(declared.to_dict(), args.json,
                     lambda data: "\n".join([f"gate of {args.model} declared:",
                                             *_policy_lines(data)]))
        return 0
    if args.version:
        verdict = gate.evaluate_gate(
            args.model, args.version, thresholds=args.threshold, compare_to=args.alias,
            margin=args.margin, metric=args.metric, higher_is_better=_higher_is_better(args),
            score=args.score)
        hint = [("  (compared on run metrics: --score scores both versions on the evaluation "
                "dataset)")] if verdict.get("scorable") and \
            verdict["scores"].get("source") == "run metrics" else []
        print_result(verdict, args.json, lambda data: "\n".join([
            (f"{args.model} v{args.version} -> @{args.alias}: gate "
            f"{'passes' if data['passed'] else 'refuses'}"), *_verdict_lines(data), *hint]))
        return 0 if verdict["passed"] else 1
    declared = policy.declared_policy(args.model)
    print_result({"policy": None if declared is None else declared.to_dict()}, args.json,
                 lambda data: "\n".join(_policy_lines(data["policy"])))
    return 0


def cmd_models_rollback(args) -> int:
    """Move an alias back to its previous holder."""
    from ..registry import rollback

    entry = rollback(args.model, args.alias, reason=args.reason)
    print_result(entry, args.json, lambda d: (
        f"{args.model}@{args.alias}: v{d.get('from_version')} -> v{d.get('to_version')} "
        "(rollback)"))
    return 0


def cmd_models_lineage(args) -> int:
    """Where a model version came from: run, notebook or step, data, git."""
    from ..registry import lineage, render_tree
    from ..registry.common import parse_model_reference

    name, reference = parse_model_reference(args.reference)
    info = lineage(name, reference or "champion")
    print_result(info, args.json, render_tree)
    return 0


def cmd_models_ab(args) -> int:
    """Champion vs challenger (and shadow) on live traffic, with a statistical test."""
    from ..serving import ab

    data = ab.report(args.model, last=args.last, metric=args.metric, alpha=args.alpha)
    if args.promote:
        data["live_promotion"] = ab.promote_if_winner(args.model, last=args.last,
                                                      source="cli")
    print_result(data, args.json, _ab_lines)
    return 0


def _pct(value) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ab_lines(data: dict) -> str:
    lines = [f"{data['model']}: live traffic, last {data['last']} ({data['metric']})"]
    for role, entry in data["variants"].items():
        versions = ",".join(f"v{v}" for v in entry["versions"]) or "v?"
        lines.append(f"  {role:10} {versions:8} {entry['requests']:>7} requests "
                     f"{entry['errors']:>5} errors {entry['labelled']:>7} labelled  "
                     f"{data['metric']} {_pct(entry['accuracy'])}")
    if not data["variants"]:
        lines.append("  no requests logged in the window")
    test = data.get("test")
    if test and test.get("p_value") is not None:
        need = test["min_sample"]
        lines.append(f"  {test['kind']}: z = {test['z']:.2f}, p = {test['p_value']:.3g} "
                     f"(n = {test['n']['challenger']} vs {test['n']['champion']} labelled; "
                     + (f"{need} per variant needed for this difference at 80% power)"
                        if need else "no difference observed)"))
    shadow = data.get("shadow")
    if shadow:
        lines.append(f"  shadow agreement with champion: {_pct(shadow['agreement'])} of "
                     f"{shadow['pairs']} rows" + (
                         f"; {shadow['kind']}: p = {shadow['p_value']:.3g} on "
                         f"{shadow['labelled']} labelled rows"
                         if shadow.get("p_value") is not None else ""))
    lines.append(f"verdict: {data['verdict']}")
    promotion = data.get("live_promotion")
    if "live_promotion" in data:
        lines.append("promotion: " + (
            "the gate has no live rule (mlops models gate MODEL --set --live-min-requests N)"
            if promotion is None else
            f"v{promotion['version']} -> @{promotion['alias']} promoted"
            if promotion["promoted"] else f"none ({promotion.get('error') or promotion['reason']})"))
    return "\n".join(lines)


def _gate_arguments(parser) -> None:
    parser.add_argument("--threshold", action="append", metavar="'METRIC >= N'",
                        help="a check on the version's run metrics (repeatable; "
                             "default: the model's declared gate)")
    parser.add_argument("--metric", help="metric compared with the current holder "
                                         "(default: declared, else accuracy)")
    parser.add_argument("--lower-is-better", action="store_true", default=None,
                        help="for losses and errors (rmse, log_loss)")
    parser.add_argument("--margin", type=float,
                        help="how much the version must beat the holder by")


def add_commands(commands) -> None:
    """Add ``models list|promote|gate|rollback|lineage|ab`` to the ``mlops`` subparsers."""
    model_commands = add_group(commands, "models",
                               "registered models: list, promote, rollback, lineage")
    listing = model_commands.add_parser("list", help="models, versions, metrics, aliases")
    listing.add_argument("--versions", type=int, default=5, metavar="N",
                         help="newest versions shown per model (default 5)")
    add_json_flag(listing)
    listing.set_defaults(func=cmd_models_list)
    promote = model_commands.add_parser("promote", help="move an alias through the gate")
    promote.add_argument("model")
    promote.add_argument("version")
    promote.add_argument("--alias", default="champion", help="default champion")
    _gate_arguments(promote)
    promote.add_argument("--force", action="store_true", help="skip the gate (needs --reason)")
    promote.add_argument("--reason", help="why (recorded in the alias history)")
    add_json_flag(promote)
    promote.set_defaults(func=cmd_models_promote)
    gate = model_commands.add_parser(
        "gate", help="show, declare (--set) or try (--version) a model's promotion gate",
        description="Without options: the declared gate. --set stores the given fields "
                    "as the model's gate. --version V: the verdict for V now, changing "
                    "nothing.")
    gate.add_argument("model")
    gate.add_argument("--set", action="store_true", help="declare the gate given below")
    gate.add_argument("--version", help="preview the gate's verdict for this version")
    gate.add_argument("--alias", default="champion", help="alias to judge against")
    _gate_arguments(gate)
    gate.add_argument("--data", help="evaluation dataset (.csv/.parquet) both versions "
                                     "are scored on (with --set)")
    gate.add_argument("--target", help="its label column (with --set)")
    gate.add_argument("--live-min-requests", type=int, metavar="N",
                      help="with --set: a live rule: the candidate must have served N "
                           "labelled requests as challenger/shadow and beat the champion")
    gate.add_argument("--live-p-value", type=float, metavar="P",
                      help="with --set: significance of the live win (default 0.05)")
    gate.add_argument("--live-window", metavar="DURATION",
                      help="with --set: inference-log window of the live rule (default 24h)")
    gate.add_argument("--score", action="store_true",
                      help="with --version: score both versions on the declared evaluation "
                           "dataset (loads them, each in a short-lived process of its own); "
                           "without it the preview judges on run metrics and loads nothing")
    add_json_flag(gate)
    gate.set_defaults(func=cmd_models_gate)
    back = model_commands.add_parser("rollback", help="alias back to its previous holder")
    back.add_argument("model")
    back.add_argument("--alias", default="champion")
    back.add_argument("--reason",
                      help="why (required, one line; recorded in the alias history)")
    add_json_flag(back)
    back.set_defaults(func=cmd_models_rollback)
    trace = model_commands.add_parser("lineage", help="run, notebook/step, data and git")
    trace.add_argument("reference", metavar="MODEL[@ALIAS|/VERSION]")
    add_json_flag(trace)
    trace.set_defaults(func=cmd_models_lineage)
    compare = model_commands.add_parser(
        "ab", help="champion vs challenger/shadow on live traffic (A/B verdict)",
        description="Per-variant requests, labelled rows, versions and accuracy from the "
                    "inference log and the feedback labels; a two-proportion z-test "
                    "challenger vs champion with the sample it rests on, and for a "
                    "shadow its agreement with the champion and McNemar's test. "
                    "--promote also promotes a decisive winner through the gate (its "
                    "live: rule). Loads no model.")
    compare.add_argument("model")
    compare.add_argument("--last", default="24h", help="window, e.g. 1h, 24h, 7d "
                                                       "(default 24h)")
    compare.add_argument("--metric", default="accuracy", help="default accuracy")
    compare.add_argument("--alpha", type=float, default=0.05,
                         help="significance level (default 0.05)")
    compare.add_argument("--promote", action="store_true",
                         help="promote a challenger that won, through the gate's live rule")
    add_json_flag(compare)
    compare.set_defaults(func=cmd_models_ab)
