"""The plotly figures of the dashboards (built from :mod:`.data` results).

Figures are shown with plotly's ``plotly_mimetype`` renderer: the page carries the
figure's JSON and the ``jupyterlab-plotly`` extension (installed with plotly)
draws it in the browser, so nothing is fetched from the internet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ..monitoring.columns import column_counts
from ..palette import COLORS
from ..wording import plural

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
STATUS_COLORS = {
    "FINISHED": COLORS["ok"], "SUCCEEDED": COLORS["ok"], "FAILED": COLORS["bad"],
    "TIMED_OUT": COLORS["bad"], "KILLED": COLORS["warn"], "INTERRUPTED": COLORS["warn"],
    "RUNNING": COLORS["champion"], "QUEUED": COLORS["neutral"],
    "SKIPPED": COLORS["neutral"],
}


FAILED_STATUSES = ("FAILED", "TIMED_OUT")


def _go():
    import plotly.graph_objects as go

    return go


def to_datetime(ms: int | None) -> datetime | None:
    """Epoch milliseconds as an aware UTC datetime."""
    return None if not ms else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def _layout(fig, *, height: int, yaxis: dict[str, Any] | None = None, **extra: Any) -> None:
    fig.update_layout(
        template="plotly_white", height=height, font={"family": FONT, "size": 12,
                                                      "color": "#374151"},
        margin={"l": 56, "r": 24, "t": 16, "b": 40}, hovermode="closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", **extra)
    fig.update_xaxes(gridcolor=COLORS["grid"], linecolor="#cbd5e1", zeroline=False)
    fig.update_yaxes(gridcolor=COLORS["grid"], linecolor="#cbd5e1", zeroline=False,
                     **(yaxis or {}))


def drift_share_figure(checks: Sequence[dict[str, Any]], threshold: float):
    """Share of drifted columns per check over time, the dataset threshold dashed,
    checks that drifted in red and alerts marked.

    Args:
        checks: Check summaries, oldest first.
        threshold: Share of drifted columns at which the dataset drifts.
    """
    go = _go()
    fig = go.Figure()
    times = [to_datetime(check["time"]) for check in checks]
    shares = [check.get("drift_share") for check in checks]
    hover = [
        f"v{check.get('version') or '?'} · {column_counts(check).text()}<br>"
        f"{plural(check['current_rows'], 'row')}"
        + (f"<br>{plural(len(check['alerts']), 'alert')}" if check.get("alerts") else "")
        for check in checks]
    colors = [COLORS["bad"] if check.get("dataset_drift") else
              (COLORS["neutral"] if check.get("dataset_drift") is None else COLORS["ok"])
              for check in checks]
    fig.add_trace(go.Scatter(
        x=times, y=shares, mode="lines+markers", name="share of drifted columns",
        line={"color": COLORS["line"], "width": 2, "shape": "linear"},
        marker={"color": colors, "size": 9, "line": {"color": "#ffffff", "width": 1.5}},
        text=hover, hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{y:.0%} drifted<br>%{text}"
                                  "<extra></extra>"))
    alerted = [index for index, check in enumerate(checks) if check.get("alerts")]
    if alerted:
        fig.add_trace(go.Scatter(
            x=[times[i] for i in alerted], y=[min(1.08, (shares[i] or 0) + 0.08)
                                              for i in alerted],
            mode="markers", name="alert", hoverinfo="skip",
            marker={"symbol": "triangle-down", "size": 10, "color": COLORS["warn"]}))
    fig.add_hline(y=threshold, line={"color": COLORS["bad"], "dash": "dash", "width": 1.2},
                  annotation_text=f"dataset drift at {threshold:.0%}",
                  annotation_position="bottom right",
                  annotation_font={"color": COLORS["bad"], "size": 11})
    _layout(fig, height=320, yaxis={"tickformat": ".0%", "range": [-0.02, 1.12],
                                    "title": None}, showlegend=bool(alerted))
    dated = [moment for moment in times if moment is not None]
    if dated and max(dated) - min(dated) < timedelta(hours=2):
        # One check (or a few within minutes): a day around them, not milliseconds.
        middle = min(dated) + (max(dated) - min(dated)) / 2
        fig.update_xaxes(range=[middle - timedelta(hours=12), middle + timedelta(hours=12)])
    return fig


def metric_by_version_figure(versions: Sequence[dict[str, Any]], metric: str,
                             holders: dict[str, str]):
    """One metric across a model's versions (oldest left); alias holders coloured.

    Args:
        versions: Version entries of :func:`~.data.model_overview`, any order.
        metric: Run metric to plot.
        holders: ``{alias: version}`` of the model.
    """
    go = _go()
    ordered = sorted(versions, key=lambda entry: int(entry["version"]))
    with_metric = [entry for entry in ordered if metric in (entry.get("metrics") or {})]
    by_version = {str(version): alias for alias, version in holders.items()}
    colors = [COLORS.get(by_version.get(entry["version"], ""), "#94a3b8")
              for entry in with_metric]
    fig = go.Figure(go.Bar(
        x=[f"v{entry['version']}" for entry in with_metric],
        y=[entry["metrics"][metric] for entry in with_metric],
        marker={"color": colors}, text=[by_version.get(entry["version"], "")
                                        for entry in with_metric],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: %{y:.4g} %{text}<extra></extra>"))
    values = [entry["metrics"][metric] for entry in with_metric] or [0.0]
    low, high = min(values), max(values)
    pad = (high - low) * 0.25 or abs(high) * 0.05 or 1.0
    _layout(fig, height=280, yaxis={"title": metric, "range": [max(0.0, low - pad) if low >= 0
                                                                 else low - pad, high + pad]},
            showlegend=False, bargap=0.35)
    return fig


def compare_figure(first: dict[str, Any], second: dict[str, Any], labels: tuple[str, str]):
    """Metrics two versions share, side by side (horizontal grouped bars)."""
    go = _go()
    shared = sorted(set(first.get("metrics") or {}) & set(second.get("metrics") or {}))
    fig = go.Figure()
    for entry, label, color in ((second, labels[1], COLORS["challenger"]),
                                (first, labels[0], COLORS["champion"])):
        fig.add_trace(go.Bar(
            y=shared, x=[entry["metrics"][name] for name in shared], name=label,
            orientation="h", marker={"color": color},
            text=[f"{entry['metrics'][name]:.4g}" for name in shared], textposition="outside",
            cliponaxis=False, hovertemplate=f"{label} · %{{y}} = %{{x:.4g}}<extra></extra>"))
    _layout(fig, height=max(160, 70 + 46 * len(shared)), barmode="group", bargap=0.3,
            legend_traceorder="reversed")
    return fig


def health_timeline_figure(checks: Sequence[dict[str, Any]], runs: Sequence[dict[str, Any]],
                           jobs: Sequence[dict[str, Any]]):
    """One lane per kind of work (drift checks, pipeline runs, scheduled jobs), one
    dot per execution coloured by its status."""
    go = _go()
    fig = go.Figure()
    lanes = []
    if jobs:
        lanes.append(("Scheduled jobs", [(_iso_ms(job.get("started") or job.get("created")),
                                          job["status"], f"{job['schedule']} · {job['trigger']}"
                                          + (f"<br>{job['error'][:120]}" if job.get("error")
                                             else ""))
                                         for job in jobs]))
    if runs:
        lanes.append(("Pipeline runs", [(run["time"], run["status"], f"trigger {run['trigger']}")
                                        for run in runs]))
    lanes.append(("Drift checks", [(check["time"], "FAILED" if check["status"] == "FAILED" else
                                    ("DRIFT" if check.get("dataset_drift") else "FINISHED"),
                                    f"v{check.get('version') or '?'}") for check in checks]))
    colors = {**STATUS_COLORS, "DRIFT": COLORS["drift"]}  # drift: one colour everywhere
    seen: set[str] = set()
    for lane, points in lanes:
        for status in sorted({status for _, status, _ in points}):
            chosen = [(ms, text) for ms, state, text in points if state == status and ms]
            fig.add_trace(go.Scatter(
                x=[to_datetime(ms) for ms, _ in chosen], y=[lane] * len(chosen),
                mode="markers", name=status.lower().replace("_", " "),
                legendgroup=status, showlegend=status not in seen,
                marker={"size": 11, "color": colors.get(status, COLORS["neutral"]),
                        # failures share drift's red: their own symbol tells them apart
                        "symbol": "x" if status in FAILED_STATUSES else "circle",
                        "line": {"color": "#ffffff", "width": 1.5}},
                text=[text for _, text in chosen],
                hovertemplate=f"{lane}: {status.lower()}<br>%{{x|%Y-%m-%d %H:%M}}<br>%{{text}}"
                              "<extra></extra>"))
            seen.add(status)
    _layout(fig, height=110 + 52 * len(lanes), yaxis={"title": None, "type": "category"})
    return fig


def _iso_ms(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError:
        return None
