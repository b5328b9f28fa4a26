"""A drift check as a small HTML table, for notebooks (``%mlops drift``)."""

from __future__ import annotations

from html import escape
from typing import Any


def drift_html(check: dict[str, Any]) -> str:
    """The verdict line, per-column verdicts (drifted first) and fired alerts."""
    result = check["result"]
    share = result.get("share_of_drifted_columns")
    verdict = {True: "Dataset drift", False: "No dataset drift",
               None: "Drift not computable"}[result.get("dataset_drift")]
    colour = "#c62828" if result.get("dataset_drift") else "#2e7d32"
    rows = []
    columns = sorted((result.get("columns") or {}).values(),
                     key=lambda c: (not c.get("drifted"), c["column"]))
    for column in columns:
        if column.get("status") == "skipped":
            cells = (column["column"], "—", "—", "—", f"skipped: {column.get('reason')}")
        else:
            cells = (column["column"], column.get("method_display") or column.get("method"),
                     f"{column['score']:.4g}", f"{column['threshold']:g}",
                     "drift" if column.get("drifted") else "ok")
        style = ' style="color:#c62828;font-weight:600"' if column.get("drifted") else ""
        rows.append("<tr>" + "".join(f"<td{style if i == 4 else ''}>{escape(str(c))}</td>"
                                     for i, c in enumerate(cells)) + "</tr>")
    alerts = "".join(f"<li><b>{escape(a['rule'])}</b>: {escape(a['message'])}</li>"
                     for a in check.get("alerts") or [])
    summary = (f"{result.get('number_of_drifted_columns')} of "
               f"{result.get('number_of_columns')} columns drifted"
               + (f" ({share:.0%}; threshold {result['drift_share']:.0%})"
                  if share is not None else ""))
    return (f"<div><p><span style='color:{colour};font-weight:600'>{verdict}</span> — "
            f"{escape(check['model'])} v{escape(check['version'])} on "
            f"{escape(check['current'])}: {summary}. Recorded as run "
            f"<code>{escape(check['run_id'])}</code> (experiment mlops-monitoring).</p>"
            "<table><thead><tr><th>column</th><th>test</th><th>score</th><th>threshold</th>"
            f"<th>verdict</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + (f"<p>Alerts:</p><ul>{alerts}</ul>" if alerts else "") + "</div>")
