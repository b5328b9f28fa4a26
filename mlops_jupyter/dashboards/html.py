"""HTML pieces of the dashboards: style, cards, badges, tables, sparklines, frames.

Pure string building; colours come from :mod:`mlops_jupyter.palette`, counted
nouns from :func:`plural`. Every value that comes from the store (names, messages,
column names) goes through :func:`esc`; the Evidently report is only ever placed in
a sandboxed frame's ``srcdoc``.
"""

from __future__ import annotations

import html
import math
import string
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

from .. import palette, wording
from ..palette import COLORS

#: ``plural(2, "column")`` → ``2 columns``: the one plural rule (:mod:`mlops_jupyter.wording`).
plural = wording.plural
noun = wording.noun

STYLE = string.Template("""
<style>
.mlops-dash { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; color: #1f2937; max-width: 1180px; margin: 0 auto; }
.mlops-dash h1 { font-size: 26px; font-weight: 650; margin: 14px 0 2px; letter-spacing: -.01em; }
[data-mlops-dashboard] { padding-top: 6px; }  /* keeps the title's margin inside */
.mlops-dash .mlops-sub { color: #6b7280; font-size: 13px; margin-bottom: 6px; }
.mlops-dash .mlops-desc { color: #374151; font-size: 14px; margin: 6px 0; }
.mlops-h2 { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 17px; font-weight: 650; color: #111827; margin: 22px 0 6px; }
.mlops-h2 .mlops-h2-note { font-weight: 400; color: #6b7280; font-size: 13px; margin-left: 8px; }
.mlops-cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 10px 0 4px;
  padding: 1px 3px 4px 1px; box-sizing: border-box;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.mlops-card { flex: 1 1 190px; min-width: 170px; border: 1px solid #e5e7eb; border-radius: 10px;
  padding: 12px 14px; background: #fff; box-shadow: 0 1px 2px rgba(15, 23, 42, .05);
  border-top: 4px solid #cbd5e1; box-sizing: border-box; }
.mlops-card.ok { border-top-color: $ok; } .mlops-card.bad { border-top-color: $drift; }
.mlops-card.warn { border-top-color: #d97706; }
.mlops-card.champion { border-top-color: #2563eb; }
.mlops-card.challenger { border-top-color: #ea580c; }
.mlops-card .mlops-label { font-size: 11px; text-transform: uppercase; letter-spacing: .06em;
  color: #6b7280; font-weight: 600; }
.mlops-card .mlops-value { font-size: 24px; font-weight: 650; margin-top: 4px; color: #111827; }
.mlops-card .mlops-hint { font-size: 12px; color: #6b7280; margin-top: 3px; line-height: 1.4; }
.mlops-badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-size: 12px;
  font-weight: 600; line-height: 18px; white-space: nowrap; }
.mlops-badge.ok { background: $ok_bg; color: $ok_text; }
.mlops-badge.bad { background: $drift_bg; color: $drift_text; }
.mlops-badge.warn { background: #fef3c7; color: #92400e; }
.mlops-badge.neutral { background: #e5e7eb; color: #374151; }
.mlops-badge.champion { background: #dbeafe; color: #1e40af; }
.mlops-badge.challenger { background: #ffedd5; color: #9a3412; }
table.mlops-table { border-collapse: collapse; width: 100%; font-size: 13px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #fff; }
table.mlops-table th { text-align: left; color: #6b7280; font-weight: 600; font-size: 12px;
  border-bottom: 1px solid #e5e7eb; padding: 7px 10px; white-space: nowrap; }
table.mlops-table td { border-bottom: 1px solid #f1f5f9; padding: 6px 10px;
  vertical-align: middle; }
table.mlops-table td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
table.mlops-table tr.drifted td:first-child { box-shadow: inset 3px 0 0 $drift; }
.mlops-kv { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px;
  font-size: 13px; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.mlops-kv dt { color: #6b7280; } .mlops-kv dd { margin: 0; color: #111827; }
.mlops-message { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  max-width: 680px; margin: 48px auto; padding: 28px 32px; border: 1px solid #e5e7eb;
  border-radius: 12px; background: #fff; box-shadow: 0 1px 3px rgba(15, 23, 42, .08); }
.mlops-message h1 { font-size: 22px; margin: 0 0 8px; color: #111827; }
.mlops-message p { color: #4b5563; font-size: 14px; line-height: 1.55; margin: 6px 0; }
.mlops-empty { color: #6b7280; font-size: 13px; padding: 10px 0;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
/* 900 px until the report tells its height (then exactly its content: no inner scroll) */
.mlops-report { display: block; width: 100%; height: 900px; border: 1px solid #e5e7eb;
  border-radius: 8px; background: #fff; }
.mlops-controls .widget-label, .mlops-controls label { color: #374151; }
</style>
""").substitute(drift=palette.DRIFT, drift_bg=palette.DRIFT_BACKGROUND,
                drift_text=palette.DRIFT_TEXT, ok=palette.NO_DRIFT,
                ok_bg=palette.NO_DRIFT_BACKGROUND, ok_text=palette.NO_DRIFT_TEXT)


def esc(value: object) -> str:
    """``value`` as text safe inside HTML content and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_number(value: float | None, digits: int = 3) -> str:
    """A number for people: thousands separators for counts, ``digits``
    significant digits otherwise, ``–`` when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:.{digits}g}"


def fmt_percent(value: float | None) -> str:
    """A share (0..1) as a percentage."""
    return "–" if value is None else f"{100 * value:.0f}%"


def fmt_time(ms: int | None) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM UTC``."""
    if not ms:
        return "–"
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def fmt_ago(ms: int | None, now_ms: int | None = None) -> str:
    """How long ago ``ms`` was: ``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``."""
    if not ms:
        return "never"
    seconds = max(0.0, ((now_ms or time.time() * 1000) - ms) / 1000)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size:
            count = int(seconds // size)
            plural = "s" if unit == "day" and count != 1 else ""
            return f"{count} {unit}{plural} ago"
    return "just now"


def fmt_duration(seconds: float | None) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 2 min``."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def badge(text: str, tone: str = "neutral") -> str:
    """A coloured pill; ``tone`` is ok, bad, warn, neutral, champion or challenger."""
    return f'<span class="mlops-badge {esc(tone)}">{esc(text)}</span>'


def card(label: str, value: str, hint: str = "", tone: str = "", *, raw_hint: bool = False
         ) -> str:
    """A key figure: a label, a big value and a hint line (escaped unless ``raw_hint``)."""
    hint_html = hint if raw_hint else esc(hint)
    return (f'<div class="mlops-card {esc(tone)}"><div class="mlops-label">{esc(label)}</div>'
            f'<div class="mlops-value">{esc(value)}</div>'
            f'<div class="mlops-hint">{hint_html}</div></div>')


def cards(items: Iterable[str]) -> str:
    """A row of :func:`card` s."""
    return f'<div class="mlops-cards">{"".join(items)}</div>'


def heading(text: str, note: str = "") -> str:
    """A section heading with an optional grey note."""
    extra = f'<span class="mlops-h2-note">{esc(note)}</span>' if note else ""
    return f'<div class="mlops-h2">{esc(text)}{extra}</div>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *,
          numeric: Sequence[int] = (), row_classes: Sequence[str] | None = None,
          css_class: str = "") -> str:
    """A table; cells are HTML already (escape values with :func:`esc`)."""
    head = "".join(f"<th>{esc(header)}</th>" for header in headers)
    body = []
    for index, row in enumerate(rows):
        cls = f' class="{esc(row_classes[index])}"' if row_classes and row_classes[index] else ""
        cells = "".join(f'<td class="num">{cell}</td>' if column in numeric else f"<td>{cell}</td>"
                        for column, cell in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return (f'<table class="mlops-table {esc(css_class)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def key_values(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are HTML already."""
    items = "".join(f"<dt>{esc(key)}</dt><dd>{value}</dd>" for key, value in pairs)
    return f'<dl class="mlops-kv">{items}</dl>'


def empty(text: str) -> str:
    """A grey line saying there is nothing to show."""
    return f'<div class="mlops-empty">{esc(text)}</div>'


def message_page(title: str, lines: Sequence[str]) -> str:
    """The friendly page shown instead of a dashboard (unknown model, no store)."""
    body = "".join(f"<p>{esc(line)}</p>" for line in lines)
    return (f'{STYLE}<div class="mlops-message" data-mlops-message="true">'
            f"<h1>{esc(title)}</h1>{body}</div>")


def sparkline(points: Sequence[tuple[int, float, bool]], threshold: float | None = None,
              *, width: int = 150, height: int = 30) -> str:
    """An inline SVG of a score over time: drifted points red, threshold dashed.

    Args:
        points: ``(time_ms, score, drifted)`` oldest first.
        threshold: The score threshold of the column's test, drawn when given.
    """
    values = [score for _, score, _ in points if score is not None and math.isfinite(score)]
    if not values:
        return '<span class="mlops-empty">no history</span>'
    low = min([*values, threshold if threshold is not None else min(values), 0.0])
    high = max([*values, threshold if threshold is not None else max(values)])
    span = (high - low) or 1.0
    pad = 3

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - low) / span)

    count = len(points)
    step = (width - 2 * pad) / max(count - 1, 1)
    coords = [(pad + index * step, y(score), drifted)
              for index, (_, score, drifted) in enumerate(points)
              if score is not None and math.isfinite(score)]
    parts = [(f'<svg class="mlops-spark" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" role="img" aria-label="score history">')]
    if threshold is not None:
        ty = y(threshold)
        parts.append(f'<line x1="0" x2="{width}" y1="{ty:.1f}" y2="{ty:.1f}" '
                     f'stroke="{COLORS["bad"]}" stroke-opacity=".45" stroke-dasharray="3,3"/>')
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _ in coords)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{COLORS["line"]}" '
                     f'stroke-width="1.5" stroke-linejoin="round"/>')
    for index, (x, yy, drifted) in enumerate(coords):
        last = index == len(coords) - 1
        if drifted or last:
            color = COLORS["bad"] if drifted else COLORS["ok"]
            parts.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="{3 if last else 2.2}" '
                         f'fill="{color}"/>')
    parts.append("</svg>")
    return "".join(parts)


#: Runs inside the report's frame, first thing in its document:
#: * tells the embedding page the document's height (on load, on every resize of
#:   its content — Evidently draws with React after load, rows expand — and when
#:   asked), so the frame is exactly as tall as its content: no scroll inside a scroll;
#: * puts drifted columns first in Evidently's column tables (``big_table`` widgets,
#:   which Evidently orders by score: stable columns first for p-values), as every
#:   other column table of the dashboards does. Evidently's own structure is read
#:   defensively: anything unexpected leaves the report as it was.
REPORT_FRAME_SCRIPT = """<script>(function () {
  var last = 0;
  function height() {
    var body = document.body;
    if (!body) { return 0; }
    var style = getComputedStyle(body);
    return Math.ceil(Math.max(body.getBoundingClientRect().bottom + window.scrollY,
      body.offsetHeight) + (parseFloat(style.marginBottom) || 0));
  }
  function post(force) {
    var value = height();
    if (value > 0 && (force || Math.abs(value - last) > 1)) {
      last = value;
      parent.postMessage({mlopsReportHeight: value}, "*");
    }
  }
  addEventListener("message", function (event) {
    if (event.source === parent && event.data === "mlops-report-height") { post(true); }
  });
  addEventListener("load", function () { post(true); });
  document.addEventListener("DOMContentLoaded", function () {
    if (window.ResizeObserver) { new ResizeObserver(function () { post(false); }).observe(document.body); }
    post(true);
  });
  function driftedFirst(node, depth) {
    if (!node || typeof node !== "object" || depth > 12) { return; }
    if (Array.isArray(node)) { node.forEach(function (item) { driftedFirst(item, depth + 1); }); return; }
    var rows = node.type === "big_table" && node.params && node.params.data;
    if (Array.isArray(rows) && rows.some(function (row) { return row && "data_drift" in row; })) {
      node.params.data = rows.map(function (row, index) {
        return [row && row.data_drift === "Detected" ? 0 : 1, index, row];
      }).sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
        .map(function (item) { return item[2]; });
    }
    ["widgets", "tabs", "widget"].forEach(function (key) { driftedFirst(node[key], depth + 1); });
  }
  var draw;
  try {
    Object.defineProperty(window, "drawDashboard", {configurable: true,
      get: function () { return draw; },
      set: function (real) {
        draw = typeof real !== "function" ? real : function (dashboard) {
          try { driftedFirst(dashboard, 0); } catch (error) { /* Evidently's order */ }
          return real.apply(this, arguments);
        };
      }});
  } catch (error) { /* left as Evidently draws it */ }
})();</script>"""

#: Runs in the dashboard page when a report frame has loaded (an inline handler: the
#: widget's HTML is inserted as markup, where ``<script>`` elements never run). One
#: listener per page sizes every report frame from the height its document posts
#: (only messages from that frame's own window; clamped), then asks the frame for it
#: (its first message may have come before this listener existed).
FRAME_ONLOAD = (
    "(function(frame){var w=window;if(!w.mlopsReportSizer){w.mlopsReportSizer=function(e){"
    "var d=e.data;if(!d||typeof d.mlopsReportHeight!=='number'||!isFinite(d.mlopsReportHeight))"
    "return;var frames=document.querySelectorAll('iframe.mlops-report');"
    "for(var i=0;i<frames.length;i++){if(frames[i].contentWindow===e.source){"
    "frames[i].style.height=Math.max(60,Math.min(200000,Math.ceil(d.mlopsReportHeight)))+'px';"
    "frames[i].setAttribute('data-sized','true');}}};"
    "w.addEventListener('message',w.mlopsReportSizer);}"
    "if(frame.contentWindow){frame.contentWindow.postMessage('mlops-report-height','*');}"
    "})(this)")


def framed_report_document(report_html: str) -> str:
    """The report's HTML with :data:`REPORT_FRAME_SCRIPT` as its first script."""
    lower = report_html[:4096].lower()
    index = lower.find("<head>")
    if index >= 0:
        index += len("<head>")
        return report_html[:index] + REPORT_FRAME_SCRIPT + report_html[index:]
    return REPORT_FRAME_SCRIPT + report_html


def sandboxed_report(report_html: str, title: str) -> str:
    """The Evidently report in an iframe that may run its own scripts but cannot
    reach this page, its cookies or its kernel (no ``allow-same-origin``), sized to
    its content (:data:`REPORT_FRAME_SCRIPT`, :data:`FRAME_ONLOAD`)."""
    return (f'<iframe class="mlops-report" title="{esc(title)}" sandbox="allow-scripts" '
            f'referrerpolicy="no-referrer" loading="lazy" onload="{esc(FRAME_ONLOAD)}" '
            f'srcdoc="{esc(framed_report_document(report_html))}"></iframe>')
