"""A drift check for people: terminal lines (CLI, demo) and HTML (``%mlops drift``)."""

from __future__ import annotations

from html import escape
from typing import Any

from ..palette import DRIFT, NO_DRIFT
from .columns import column_counts, drifted_first


def drift_html(check: dict[str, Any]) -> str:
    """The verdict line, per-column verdicts (drifted first) and fired alerts."""
    result = check["result"]
    share = result.get("share_of_drifted_columns")
    verdict = {True: "Dataset drift", False: "No dataset drift",
               None: "Drift not computable"}[result.get("dataset_drift")]
    colour = DRIFT if result.get("dataset_drift") else NO_DRIFT
    rows = []
    columns = drifted_first((result.get("columns") or {}).values())
    for column in columns:
        if column.get("status") == "skipped":
            cells = (column["column"], "—", "—", "—", f"skipped: {column.get('reason')}")
        else:
            cells = (column["column"], column.get("method_display") or column.get("method"),
                     f"{column['score']:.4g}", f"{column['threshold']:g}",
                     "drift" if column.get("drifted") else "ok")
        style = f' style="color:{DRIFT};font-weight:600"' if column.get("drifted") else ""
        rows.append("<tr>" + "".join(f"<td{style if i == 4 else ''}>{escape(str(c))}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    alerts = "".join(f"<li><b>{escape(a['rule'])}</b>: {escape(a['message'])}</li>"
                     for a in check.get("alerts") or [])
    summary = (column_counts(result).text()
               + (f" ({share:.0%}; threshold {result['drift_share']:.0%})"
                  if share is not None else ""))
    return (f"<div><p><span style='color:{colour};font-weight:600'>{verdict}</span> — "
            f"{escape(_subject(check))}: {summary}. {escape(recorded_line(check))}.</p>"
            "<table><thead><tr><th>column</th><th>test</th><th>score</th><th>threshold</th>"
            f"<th>verdict</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>Alerts:</p><ul>{alerts}</ul>" if alerts else "") + "</div>")


def drift_lines(data: dict[str, Any]) -> list[str]:
    """A drift check as terminal lines: verdict, columns (drifted first), alerts, retrain."""
    result = data["result"]
    share = result.get("share_of_drifted_columns")
    verdict = {True: "DRIFT", False: "no drift", None: "not computable"}[
        result.get("dataset_drift")]
    lines = [f"{_subject(data)}: {verdict} — {column_counts(result).short()}"
             + (f" ({share:.0%}; dataset drift at "
                                   f"{result['drift_share']:.0%})" if share is not None else "")]
    for column in drifted_first((result.get("columns") or {}).values()):
        if column.get("status") == "skipped":
            lines.append(f"  {column['column'][:30]:30}  skipped: {column.get('reason')}")
            continue
        mark = "DRIFT" if column.get("drifted") else "ok"
        lines.append(f"  {column['column'][:30]:30}  {column.get('method'):>14} "
                     f"{column.get('score'):.4g} (threshold {column.get('threshold'):g})  "
                     f"{mark}")
    left_out = [*(result.get("excluded_columns") or {}), *(result.get("ignored_columns") or [])]
    if left_out:
        shown = ", ".join(str(name)[:30] for name in left_out[:8])
        lines.append(f"not compared: {shown}"
                     + (f" and {len(left_out) - 8} more" if len(left_out) > 8 else "")
                     + " (--json lists why)")
    for name, value in (data.get("performance") or {}).items():
        lines.append(f"performance: {name} = {value:.4g}")
    for alert in data.get("alerts") or []:
        sent = f" [{alert['webhook_status']}]" if alert.get("webhook_status") else ""
        lines.append(f"ALERT {alert['rule']}: {alert['message']}{sent}")
    retrain = data.get("retrain")
    if retrain:
        detail = retrain.get("reason") or (
            f"v{retrain.get('version')} {'promoted to' if retrain.get('promoted') else 'not'}"
            f" @{retrain.get('alias')}" if retrain.get("version") else "")
        lines.append(f"retrain ({retrain.get('pipeline')}): {retrain['status']}"
                     f"{' — ' + detail if detail else ''}")
    lines.append(recorded_line(data))
    return lines


def recorded_line(check: dict[str, Any]) -> str:
    """Where the check was recorded — or that the store has not answered yet."""
    if check.get("run_id"):
        return f"recorded: run {check['run_id']} in experiment mlops-monitoring"
    return ("not recorded yet: the tracking store did not answer; the check is kept in "
            "the tracking journal and written when it does")


def _subject(check: dict[str, Any]) -> str:
    """``MODEL vN on CURRENT``, or ``REFERENCE vs CURRENT`` for two datasets."""
    if check.get("model") is None:
        return f"{check.get('reference')} vs {check['current']}"
    return f"{check['model']} v{check['version']} on {check['current']}"
