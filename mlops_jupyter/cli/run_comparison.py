"""``mlops runs compare`` and ``mlops runs diff``: runs side by side, and what differs
between two runs (the same service as the sidebar's Compare and Diff views)."""

from __future__ import annotations

from typing import Any

from ..exceptions import UsageError
from .common import add_json_flag, print_result

#: Rows a text table shows at most (``--json`` has everything).
MAX_TEXT_RUNS = 12


def _keys(text: str | None) -> list[str] | None:
    if text is None:
        return None
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys:
        raise UsageError("give at least one param key, e.g. --group-by model,lr")
    return keys


def cmd_compare(args) -> int:
    """Compare runs: params that differ, metrics with deltas, groups."""
    from pydantic import ValidationError

    from ..runs.comparison_contracts import CompareRequest
    from ..runs.comparison_service import ComparisonService

    try:
        request = CompareRequest(run_ids=args.runs, baseline=args.baseline,
                                 group_by=_keys(args.group_by),
                                 group_except=_keys(args.group_except),
                                 histories=bool(args.json))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UsageError(f"{where}: {error['msg']}") from None
    result = ComparisonService().compare(request).to_json()
    print_result(result, args.json, render_comparison)
    return 0


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _delta(value: float | None) -> str:
    return "" if value is None or value == 0 else f" ({value:+.3g})"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                         strict=True)).rstrip()
                     for row in rows)


def render_comparison(result: dict[str, Any]) -> str:
    """The comparison as text: params that differ, metrics with deltas, groups."""
    runs = result["runs"][:MAX_TEXT_RUNS]
    shown = len(runs)
    header = [""] + [(run["run_name"] or run["run_id"][:8])[:24]
                     + (" *" if index == result["baseline"] else "")
                     for index, run in enumerate(runs)]
    lines = [f"{len(result['runs'])} runs (* baseline)"
             + (f"; the first {shown} shown, --json has all" if shown < len(result["runs"])
                else "")]
    differing = [p for p in result["params"] if p["differs"]]
    if differing:
        lines += ["", "params that differ:",
                  _table([header] + [[p["key"]] + [v if v is not None else "-"
                                                    for v in p["values"][:shown]]
                                     for p in differing])]
    equal = len(result["params"]) - len(differing)
    if equal:
        lines.append(f"({equal} identical param{'s' if equal != 1 else ''} not shown)")
    if result["metrics"]:
        rows = [header]
        for metric in result["metrics"]:
            arrow = {True: " ↑", False: " ↓"}.get(metric["higher_is_better"], "")
            rows.append([metric["key"] + arrow] + [
                _number(value) + _delta(delta) + (" best" if index == metric["best"] else "")
                for index, (value, delta) in enumerate(
                    zip(metric["values"][:shown], metric["deltas"][:shown], strict=True))])
        lines += ["", "metrics (delta vs baseline):", _table(rows)]
    if result["groups"]:
        keys = result["group_keys"]
        metric_keys = [metric["key"] for metric in result["metrics"]]
        rows = [[*keys, "n", *metric_keys]]
        for group in result["groups"]:
            cells = [str(group["values"][key]) for key in keys] + [str(group["n"])]
            for key in metric_keys:
                stats = group["metrics"].get(key)
                cells.append("-" if stats is None else
                             f"{stats['mean']:.4g}"
                             + ("" if stats["std"] is None else f" ± {stats['std']:.2g}")
                             + f" ({stats['n']})")
            rows.append(cells)
        lines += ["", f"groups by {', '.join(keys) or '(nothing differs)'}:", _table(rows)]
    return "\n".join(lines)


def cmd_diff(args) -> int:
    """What differs between two runs."""
    from ..runs.comparison_contracts import DiffQuery
    from ..runs.comparison_service import ComparisonService

    result = ComparisonService().diff(DiffQuery.model_construct(a=args.run_a, b=args.run_b))
    print_result(result.to_json(), args.json, render_diff)
    return 0


def render_diff(result: dict[str, Any]) -> str:
    """The diff as text: changed cells as unified diffs, then params, environment,
    fingerprints and metric deltas."""
    def name(run):
        return f"{run['run_name'] or ''} ({run['run_id'][:8]})".strip()

    lines = [f"a: {name(result['a'])}", f"b: {name(result['b'])}", ""]
    notebook = result["notebook"]
    if not notebook["available"]:
        lines.append(f"notebook: not compared — {notebook['reason']}")
    else:
        counts: dict[str, int] = {}
        for cell in notebook["cells"]:
            counts[cell["status"]] = counts.get(cell["status"], 0) + 1
        lines.append(f"notebook {notebook['a_name']} ↔ {notebook['b_name']}: " + ", ".join(
            f"{count} {status}" for status, count in counts.items()))
        for cell in notebook["cells"]:
            where = f"a[{cell['a_index']}]" if cell["a_index"] is not None else ""
            where += (" → " if where and cell["b_index"] is not None else "") + (
                f"b[{cell['b_index']}]" if cell["b_index"] is not None else "")
            if cell["status"] == "changed":
                lines.append(f"@@ cell {where} changed")
                lines += [f"{line['op']}{line['text']}" for line in cell["lines"]]
            elif cell["status"] == "added":
                lines.append(f"@@ cell {where} added")
                lines += [f"+{text}" for text in (cell["b_source"] or "").splitlines()]
            elif cell["status"] == "removed":
                lines.append(f"@@ cell {where} removed")
                lines += [f"-{text}" for text in (cell["a_source"] or "").splitlines()]
    sections = [
        ("params", [f"{p['key']}: {p['a'] or '-'} → {p['b'] or '-'} ({p['status']})"
                    for p in result["params"]], f"{result['equal_params']} equal"),
        ("environment", [f"{e['package']}: {e['a'] or '-'} → {e['b'] or '-'}"
                         for e in result["environment"]], None),
        ("data fingerprints", [f"{f['name']}: {'changed' if f['changed'] else 'same'}"
                               for f in result["fingerprints"]], None),
        ("metrics", [f"{m['key']}: {_number(m['a'])} → {_number(m['b'])}{_delta(m['delta'])}"
                     for m in result["metrics"]], None),
    ]
    for title, rows, note in sections:
        lines += ["", f"{title}:" + (f" ({note})" if note else "")]
        lines += [f"  {row}" for row in rows] or ["  (no difference)"]
    return "\n".join(lines)


def add_commands(runs_commands) -> None:
    """Add ``compare`` and ``diff`` to the ``mlops runs`` subparsers ``runs_commands``."""
    compare = runs_commands.add_parser(
        "compare", help="compare runs: differing params, metric deltas, groups")
    compare.add_argument("runs", nargs="+", metavar="RUN", help="2 to 1000 run ids")
    compare.add_argument("--baseline", metavar="RUN",
                         help="the run deltas are against (default the first)")
    grouping = compare.add_mutually_exclusive_group()
    grouping.add_argument("--group-by", metavar="P,...",
                          help="group by these params: mean ± std (n) per group")
    grouping.add_argument("--group-except", metavar="P,...",
                          help="group by every differing param but these (e.g. seed)")
    add_json_flag(compare)
    compare.set_defaults(func=cmd_compare)

    diff = runs_commands.add_parser(
        "diff", help="what differs between two runs: cells, params, environment, data")
    diff.add_argument("run_a", metavar="RUN_A")
    diff.add_argument("run_b", metavar="RUN_B")
    add_json_flag(diff)
    diff.set_defaults(func=cmd_diff)
