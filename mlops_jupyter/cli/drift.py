"""``mlops drift check|reference|history``: drift monitoring from the command line."""

from __future__ import annotations

from ..exceptions import UsageError
from .common import add_group, add_json_flag, print_result, relative_time


def cmd_drift_check(args) -> int:
    """Check current data for drift against a model's reference, or compare two files."""
    from ..monitoring.checks import compare, run_check
    from ..monitoring.render import drift_lines
    from ..monitoring.spec import MonitorSpec, load_monitor

    if args.serving is not None or args.last is not None:
        spec = _serving_spec(args)
    elif args.monitor:
        spec = load_monitor(args.monitor)
        if args.model:
            raise UsageError("give a monitor file or --model, not both")
    elif args.model:
        from ..registry.common import parse_model_reference

        name, ref = parse_model_reference(args.model)
        spec = MonitorSpec(model=name, reference_of_model=ref)
    elif args.reference or args.current:
        if not (args.reference and args.current):
            raise UsageError("to compare two datasets give both --reference FILE and "
                             "--current FILE")
        data = compare(args.reference, args.current, report=not args.no_report,
                       source="cli")
        print_result(data, args.json, lambda d: "\n".join(drift_lines(d)))
        return 0
    else:
        raise UsageError("give a monitor file (monitor.yaml), --model MODEL[@ALIAS], or "
                         "--reference FILE --current FILE")
    data = run_check(spec, current=args.current, reference=args.reference,
                     report=not args.no_report, retrain=not args.no_retrain, source="cli",
                     promote=not args.no_promote)
    print_result(data, args.json, _check_lines)
    return 0


def _check_lines(data) -> str:
    """The check's lines, with the live window's health and promotion on serving data."""
    from ..monitoring.render import drift_lines

    lines = drift_lines(data)
    live = data.get("live")
    if live:
        p95 = live.get("p95_ms")
        extra = [f"live ({live['current']}): {live['requests']} requests, error rate "
                 f"{live['error_rate']:.1%}, p95 "
                 f"{'-' if p95 is None else f'{p95:.1f} ms'}, "
                 f"{live['labelled']} labelled rows"
                 + (f", accuracy {live['accuracy']:.1%}" if live.get("accuracy") is not None
                    else "")]
        extra += [f"note: {note}" for note in live.get("notes") or []]
        promotion = data.get("live_promotion")
        if promotion is not None:
            extra.append("live promotion: " + (
                f"v{promotion['version']} -> @{promotion['alias']}"
                if promotion.get("promoted")
                else f"none ({promotion.get('error') or promotion.get('reason')})"))
        lines[-1:-1] = extra
    return "\n".join(lines)


def _serving_spec(args):
    """The spec of ``--serving [MODEL] [--last 1h]``: the model's inference log as the
    current data (with a monitor file: its model, options and rules)."""
    from dataclasses import replace

    from ..monitoring.spec import MonitorSpec, check_last, load_monitor
    from ..registry.common import parse_model_reference

    if args.serving is None:
        raise UsageError("--last goes with --serving (the window of the inference log)")
    if args.current:
        raise UsageError("give --current FILE or --serving, not both")
    if args.model and args.monitor:
        raise UsageError("give a monitor file or --model, not both")
    named = args.serving if isinstance(args.serving, str) else None
    if args.monitor and args.monitor.lower().endswith((".yaml", ".yml")):
        spec = load_monitor(args.monitor)
    else:
        reference = args.model or args.monitor or named
        if not reference:
            raise UsageError("name the model: mlops drift check MODEL --serving [--last 1h]")
        name, ref = parse_model_reference(reference)
        spec = MonitorSpec(model=name, reference_of_model=ref)
    if named is not None and named != spec.model:
        raise UsageError(f"--serving {named[:100]!r} is not the checked model {spec.model!r}")
    last = check_last(args.last) if args.last is not None else spec.last
    return replace(spec, current=None, serving=spec.model, last=last)


def cmd_drift_reference(args) -> int:
    """Store a reference profile for a model version from a data file."""
    from ..monitoring.checks import read_frame
    from ..monitoring.references import save_reference
    from ..registry.common import parse_model_reference, resolve_reference

    name, ref = parse_model_reference(args.model)
    if ref is None:
        raise UsageError("name the version: MODEL/VERSION or MODEL@ALIAS")
    version = resolve_reference(name, ref)
    data = save_reference(name, version.version, read_frame(args.data),
                          prediction_column=args.prediction_column,
                          target_column=args.target_column)
    print_result(data, args.json, lambda d: f"reference profile of {d['name']} v{d['version']}: "
                                            f"{d['rows']} rows, {len(d['columns'])} columns")
    return 0


def cmd_drift_history(args) -> int:
    """Past drift checks of a model, newest first."""
    from ..monitoring.records import search_checks
    from ..registry import common

    common.get_registered_model(args.model)
    checks = search_checks(common.client(), args.model, max_results=args.limit)

    def render(data) -> str:
        if not data["checks"]:
            return f"no drift checks of {args.model} yet (mlops drift check --help)"
        rows = []
        for item in data["checks"]:
            share = item["drift_share"]
            verdict = {True: "DRIFT", False: "ok", None: "?"}[item["dataset_drift"]]
            alerts = f"  alerts: {', '.join(a['rule'] for a in item['alerts'])}" \
                if item["alerts"] else ""
            retrain = f"  retrain: {item['retrain']['status']}" if item["retrain"] else ""
            rows.append(f"{relative_time(_iso_ms(item['time']))}  v{item['version']:<4} "
                        f"{verdict:6} {'' if share is None else f'{share:.0%}':>5} "
                        f"drifted{alerts}{retrain}")
        return "\n".join(rows)

    print_result({"checks": checks}, args.json, render)
    return 0


def _iso_ms(milliseconds: int | None) -> str | None:
    from datetime import datetime, timezone

    if not milliseconds:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc).isoformat()


def add_commands(commands) -> None:
    """Add ``drift check|reference|history`` to the ``mlops`` subparsers ``commands``."""
    drift_commands = add_group(commands, "drift",
                               "drift checks: check, reference, history")
    check = drift_commands.add_parser(
        "check", help="check current data for drift (alerts, retrain per monitor.yaml), "
                      "or compare two data files",
        description="Per-column drift verdicts with Evidently's DataDriftPreset methods "
                    "and thresholds, the dataset verdict, alerts and the retrain loop of "
                    "a monitor file; recorded as a run of experiment mlops-monitoring. "
                    "With --reference and --current only (no monitor file, no --model) "
                    "it compares the two files, no model needed.")
    check.add_argument("monitor", nargs="?", help="a monitor.yaml (model, data, rules), or "
                                                  "MODEL[@ALIAS] with --serving")
    check.add_argument("--model", metavar="MODEL[@ALIAS|/VERSION]",
                       help="check this model (default alias champion) without a file")
    check.add_argument("--current", help="current data, .csv or .parquet")
    check.add_argument("--serving", nargs="?", const=True, metavar="MODEL",
                       help="the current data is the model's inference log (requests "
                            "its endpoint served, feedback labels joined): "
                            "mlops drift check MODEL --serving --last 1h")
    check.add_argument("--last", metavar="DURATION",
                       help="with --serving: the window, e.g. 15m, 1h, 24h, 7d "
                            "(default: the monitor file's, else 24h)")
    check.add_argument("--no-promote", action="store_true",
                       help="with serving data: never promote a challenger that won on "
                            "live traffic (the gate's live rule)")
    check.add_argument("--reference", help="reference data, .csv or .parquet: instead of "
                                           "the model's stored profile, or on its own to "
                                           "compare two files")
    check.add_argument("--no-report", action="store_true",
                       help="skip the Evidently HTML report")
    check.add_argument("--no-retrain", action="store_true",
                       help="alert only; never start the retrain pipeline")
    add_json_flag(check)
    check.set_defaults(func=cmd_drift_check)
    reference = drift_commands.add_parser(
        "reference", help="store the reference profile of a model version")
    reference.add_argument("model", metavar="MODEL/VERSION|MODEL@ALIAS")
    reference.add_argument("--data", required=True, help="training data, .csv or .parquet")
    reference.add_argument("--prediction-column", help="the model's output column, if any")
    reference.add_argument("--target-column", help="the label column, if any")
    add_json_flag(reference)
    reference.set_defaults(func=cmd_drift_reference)
    history = drift_commands.add_parser("history", help="past checks of a model")
    history.add_argument("model")
    history.add_argument("--limit", type=int, default=50, help="newest N (default 50)")
    add_json_flag(history)
    history.set_defaults(func=cmd_drift_history)
