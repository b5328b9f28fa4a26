"""The production dashboard: what a model's serving endpoint answered.

Read from the inference log (:func:`mlops_jupyter.inference.logbook.read_window`), never
from the endpoint: traffic (requests per minute), latency p50/p95 and the error rate
over time, live accuracy as feedback labels arrive (rolling), the A/B comparison per
variant, and every alias move of the served alias (registry alias history: ``set``,
``forced``, ``rollback``) marked on the time charts with the version it moved to.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...palette import COLORS, SHADOW
from .. import data
from .. import html as h
from .common import header_html, html_widget, safe_callback, set_figure

WINDOWS = (("1 hour", "1h"), ("6 hours", "6h"), ("24 hours", "24h"), ("7 days", "7d"),
           ("30 days", "30d"))
DEFAULT_WINDOW = "24 hours"
ROLLING_LABELS = 100  # live accuracy: over the last N labelled rows
MAX_POINTS = 360  # time buckets per chart: the bucket width grows with the window
VARIANT_COLORS = {"champion": COLORS["champion"], "challenger": COLORS["challenger"],
                  "shadow": SHADOW}
SWAP_ACTIONS = ("set", "forced", "rollback")


# ----------------------------------------------------------------------- data
def read_traffic(model: str, window: str):
    """The inference log of ``model`` over the last ``window`` (``"24h"``…), one row
    per input row (:func:`~mlops_jupyter.inference.logbook.read_window`)."""
    from ...inference import logbook

    try:
        return logbook.read_window(model, last=logbook.parse_duration(window))
    except FileNotFoundError:  # nothing was ever logged under the log's URL
        return None


def per_request(frame):
    """One row per request and variant (latency and status are per request)."""
    import pandas as pd

    if frame is None or frame.empty:
        return frame
    requests = frame.drop_duplicates(["request_id", "variant"]).copy()
    requests["timestamp"] = pd.to_datetime(requests["timestamp"], utc=True)
    requests["failed"] = (requests["status"].fillna(500).astype(int) >= 400) | \
        requests["error"].notna()
    return requests.sort_values("timestamp")


def bucket_seconds(span_s: float) -> int:
    """A bucket width (s) giving at most :data:`MAX_POINTS` points over ``span_s``."""
    for width in (60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400):
        if span_s / width <= MAX_POINTS:
            return width
    return 86400


def time_series(requests, width: int, start=None, end=None):
    """Per bucket of ``width`` seconds and variant: ``requests``, ``errors``,
    ``per_minute``, ``error_rate``, latency ``p50``/``p95`` (columns ``timestamp``
    = bucket start, ``variant``).

    With ``start``/``end`` (aware datetimes) every bucket between them is present: no
    traffic is 0 requests per minute (and no latency), not a line drawn across the gap.
    """
    import pandas as pd

    frequency = f"{width}s"
    bucket = requests["timestamp"].dt.floor(frequency).rename("timestamp")
    grouped = requests.groupby([bucket, "variant"])
    latency = grouped["latency_ms"]
    series = pd.DataFrame({"requests": grouped.size(), "errors": grouped["failed"].sum(),
                           "p50": latency.quantile(0.5), "p95": latency.quantile(0.95)})
    if start is not None and end is not None:
        buckets = pd.date_range(pd.Timestamp(start).floor(frequency),
                                pd.Timestamp(end).floor(frequency), freq=frequency)
        buckets = buckets.union(series.index.get_level_values(0).unique())
        variants = series.index.get_level_values(1).unique()
        series = series.reindex(pd.MultiIndex.from_product([buckets, variants],
                                                           names=["timestamp", "variant"]))
        series[["requests", "errors"]] = series[["requests", "errors"]].fillna(0)
    series["per_minute"] = series["requests"] * 60.0 / width
    series["error_rate"] = (series["errors"] / series["requests"]).where(series["requests"] > 0)
    return series.reset_index()


def rolling_accuracy(frame, window: int = ROLLING_LABELS):
    """Live quality per variant over the last ``window`` labelled rows of successful
    requests, in time order: ``timestamp, variant, value, labelled`` and the ``kind``
    of value (``accuracy`` for class predictions, ``mae`` for continuous ones, as
    :func:`~mlops_jupyter.inference.logbook.live_stats` decides); empty without labels.
    """
    import numpy as np
    import pandas as pd

    columns = ["timestamp", "variant", "value", "labelled"]
    if frame is None or frame.empty or "label" not in frame:
        return pd.DataFrame(columns=columns), "accuracy"
    ok = frame[(frame["status"].astype("float64") < 400) & frame["label"].notna()
               & frame["prediction"].notna()].copy()
    if ok.empty:
        return pd.DataFrame(columns=columns), "accuracy"
    ok["timestamp"] = pd.to_datetime(ok["timestamp"], utc=True)
    ok = ok.sort_values("timestamp", kind="stable")
    kind = "accuracy"
    try:
        p, y = ok["prediction"].astype("float64"), ok["label"].astype("float64")
        if np.all(np.isclose(p, np.round(p))):
            ok["score"] = np.isclose(p, y, rtol=1e-9, atol=1e-9).astype(float)
        else:
            kind, ok["score"] = "mae", (p - y).abs()
    except (TypeError, ValueError):  # class names
        ok["score"] = [float(str(a) == str(b)) for a, b in zip(ok["prediction"], ok["label"])]
    parts = [rows.assign(value=rows["score"].rolling(window, min_periods=1).mean(),
                         labelled=range(1, len(rows) + 1), variant=variant)[columns]
             for variant, rows in ok.groupby("variant")]
    return pd.concat(parts), kind


def swaps(history: list[dict[str, Any]], aliases: set[str], since: datetime | None
          ) -> list[dict[str, Any]]:
    """Alias moves of ``aliases`` after ``since``: ``time`` (aware datetime),
    ``alias``, ``action``, ``from_version``, ``to_version``, ``actor``, ``reason``."""
    found = []
    for entry in history:
        if entry.get("action") not in SWAP_ACTIONS or entry.get("alias") not in aliases:
            continue
        try:
            when = datetime.fromisoformat(str(entry.get("at")))
        except ValueError:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if since is None or when >= since:
            found.append({**entry, "time": when})
    return sorted(found, key=lambda item: item["time"])


def ab_comparison(frame, stats: dict[str, Any]) -> dict[str, Any]:
    """Per-variant rows (``variant, versions, requests, labelled, accuracy,
    error_rate, p95_ms``) and the A/B verdict of
    :func:`mlops_jupyter.serving.ab.compare` (``text``, ``p_value``, ``test``,
    ``agreement`` for a shadow; empty when it cannot judge this window)."""
    from ...exceptions import UsageError
    from ...serving import ab

    order = ("champion", "challenger", "shadow")
    rows = [{"variant": role, "versions": values.get("versions") or [],
             "requests": values.get("requests", 0), "labelled": values.get("labelled", 0),
             "accuracy": values.get("accuracy"), "error_rate": values.get("error_rate"),
             "p95_ms": values.get("p95_ms")}
            for role, values in sorted((stats.get("variants") or {}).items(),
                                       key=lambda item: order.index(item[0])
                                       if item[0] in order else len(order))]
    try:
        result = ab.compare(frame)
    except UsageError:
        return {"rows": rows, "verdict": {}}
    decisive = result.get("test") or result.get("shadow") or {}
    return {"rows": rows, "verdict": {
        "text": result.get("verdict"), "p_value": decisive.get("p_value"),
        "test": decisive.get("kind"), "agreement": (result.get("shadow") or {}).get("agreement"),
        "winner": result.get("winner")}}


# ---------------------------------------------------------------------- figures
def _marked(fig, moves: list[dict[str, Any]]):
    """Vertical markers for alias moves (a shape + a label: ``add_vline`` mishandles
    datetime axes in some plotly versions)."""
    if moves:  # room for a label next to a move at the right edge
        fig.update_layout(margin={"r": 110})
    for move in moves:
        color = COLORS["bad"] if move["action"] == "rollback" else COLORS["warn"]
        fig.add_shape(type="line", x0=move["time"], x1=move["time"], yref="paper", y0=0, y1=1,
                      line={"color": color, "dash": "dot", "width": 1.5})
        label = f"{move['alias']} → v{move.get('to_version')}"
        if move["action"] != "set":
            label += f" ({move['action']})"
        fig.add_annotation(x=move["time"], yref="paper", y=1.0, text=label, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 10, "color": color},
                           bgcolor="rgba(255,255,255,.8)")
    return fig


def _lines(series, column: str, moves, *, yaxis: dict[str, Any], dash_for=None, names=None):
    import plotly.graph_objects as go

    from ..charts import _layout

    fig = go.Figure()
    for variant, rows in series.groupby("variant"):
        for key, dash in ((column, "solid"),) if dash_for is None else dash_for:
            fig.add_trace(go.Scatter(
                x=list(rows["timestamp"]), y=list(rows[key]), mode="lines+markers",
                name=f"{variant}" + (f" {names[key]}" if names else ""),
                line={"color": VARIANT_COLORS.get(variant, COLORS["line"]), "dash": dash,
                      "width": 2}, marker={"size": 4}))
    _layout(fig, height=260, yaxis=yaxis)
    return _marked(fig, moves)


def traffic_figure(series, moves):
    """Requests per minute per variant, alias moves marked."""
    return _lines(series, "per_minute", moves, yaxis={"title": "requests / min",
                                                      "rangemode": "tozero"})


def latency_figure(series, moves):
    """Latency p50 (solid) and p95 (dashed) per variant, alias moves marked."""
    return _lines(series, "p50", moves, yaxis={"title": "latency (ms)", "rangemode": "tozero"},
                  dash_for=(("p50", "solid"), ("p95", "dash")), names={"p50": "p50",
                                                                       "p95": "p95"})


def error_figure(series, moves):
    """Share of failed requests per variant, alias moves marked."""
    return _lines(series, "error_rate", moves, yaxis={"title": "error rate",
                                                      "tickformat": ".1%",
                                                      "rangemode": "tozero"})


def accuracy_figure(rolling, moves, kind: str = "accuracy"):
    """Rolling live accuracy (or mean absolute error) per variant, alias moves marked."""
    axis = {"title": f"accuracy (last {ROLLING_LABELS} labels)", "tickformat": ".0%"} \
        if kind == "accuracy" else {"title": f"MAE (last {ROLLING_LABELS} labels)",
                                    "rangemode": "tozero"}
    return _lines(rolling, "value", moves, yaxis=axis)


# ------------------------------------------------------------------------- page
class ProductionDashboard:
    """Traffic, latency, errors, live accuracy and the A/B comparison of a model's
    endpoint over a window, each alias move marked on the charts."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.name = name
        self.model = source.overview(name)
        self.window = widgets.ToggleButtons(
            options=[label for label, _ in WINDOWS], value=DEFAULT_WINDOW,
            description="Window", style={"button_width": "74px",
                                         "description_width": "initial"})
        self.status, self.cards, self.ab, self.swaps_table = (
            html_widget(), html_widget(), html_widget(), html_widget())
        self.charts = {key: widgets.Output(layout={"width": "100%"})
                       for key in ("traffic", "latency", "errors", "accuracy")}
        self.titles = {key: html_widget() for key in self.charts}
        header = html_widget(header_html("production", self.model,
                                         "live traffic of the serving endpoint"))
        self.render()
        self.window.observe(safe_callback(self.status, lambda _c: self.render()), "value")
        controls = widgets.HBox([self.window])
        controls.add_class("mlops-controls")
        parts = [header, controls, self.status, self.cards, self.ab]
        for key in self.charts:
            parts += [self.titles[key], self.charts[key]]
        self.widget = widgets.VBox(parts + [self.swaps_table])
        self.widget.add_class("mlops-dash")

    def render(self) -> None:
        """Read the selected window of the inference log and draw every part."""
        from ...inference import logbook

        label = self.window.value
        window = dict(WINDOWS)[label]
        frame = read_traffic(self.name, window)
        since = datetime.now(timezone.utc) - logbook.parse_duration(window)
        if frame is None or frame.empty:
            self.cards.value = h.heading("Traffic") + h.empty(
                f"No traffic logged for {self.name!r} in the last {label}. Serve it with "
                f"`mlops serve {self.name}@champion`; every answered request is logged "
                "(unless the endpoint runs with --no-log).")
            self.ab.value = self.swaps_table.value = ""
            for key in self.charts:
                self.titles[key].value = ""
                self.charts[key].outputs = ()
            return
        stats = logbook.live_stats(frame)
        requests = per_request(frame)
        # From the window's first request to now: a quiet stretch since the last request
        # shows as 0/min, while the hours before the endpoint started are left out.
        first = requests["timestamp"].min().to_pydatetime()
        end = max(datetime.now(timezone.utc), requests["timestamp"].max().to_pydatetime())
        width = bucket_seconds(max(60.0, (end - first).total_seconds()))
        series = time_series(requests, width, first, end)
        aliases = {str(alias) for alias in frame["alias"].dropna().unique()} or {"champion"}
        moves = swaps(self.model.get("history") or [], aliases, since)
        self.cards.value = self._cards(stats, label)
        self.ab.value = self._ab_html(ab_comparison(frame, stats))
        step = f"per {width // 60} min" if width < 3600 else f"per {width // 3600} h"
        self.titles["traffic"].value = h.heading(
            "Traffic", f"requests per minute, averaged {step} · dotted: alias moves")
        set_figure(self.charts["traffic"], traffic_figure(series, moves))
        self.titles["latency"].value = h.heading("Latency", f"p50 solid, p95 dashed · {step}")
        set_figure(self.charts["latency"], latency_figure(series, moves))
        self.titles["errors"].value = h.heading("Error rate",
                                                f"non-2xx or failed answers · {step}")
        set_figure(self.charts["errors"], error_figure(series, moves))
        rolling, kind = rolling_accuracy(frame)
        if rolling.empty:
            self.titles["accuracy"].value = h.heading("Live accuracy") + h.empty(
                "No feedback label has arrived in this window: POST /feedback with the "
                "request id and the true label.")
            self.charts["accuracy"].outputs = ()
        else:
            self.titles["accuracy"].value = h.heading(
                "Live accuracy" if kind == "accuracy" else "Live error (MAE)",
                f"rolling over the last {ROLLING_LABELS} labelled rows, as labels arrive")
            set_figure(self.charts["accuracy"], accuracy_figure(rolling, moves, kind))
        self.swaps_table.value = self._swaps_html(moves, label)

    @staticmethod
    def _cards(stats: dict[str, Any], label: str) -> str:
        errors = stats.get("error_rate") or 0.0
        accuracy = stats.get("accuracy")
        return h.cards([
            h.card("Requests", h.fmt_number(stats.get("requests"), 6),
                   f"last {label} · {h.fmt_number(stats.get('rps'))} req/s", "champion"),
            h.card("Latency p95", f"{h.fmt_number(stats.get('p95_ms'))} ms",
                   f"p50 {h.fmt_number(stats.get('p50_ms'))} ms · "
                   f"p99 {h.fmt_number(stats.get('p99_ms'))} ms"),
            h.card("Error rate", h.fmt_percent(errors), f"{stats.get('errors', 0)} failed",
                   "bad" if errors > 0.01 else "ok"),
            h.card("Live MAE", h.fmt_number(stats["mae"]),
                   h.plural(stats.get("labelled", 0), "labelled row"))
            if accuracy is None and stats.get("mae") is not None else
            h.card("Live accuracy", "–" if accuracy is None else h.fmt_percent(accuracy),
                   h.plural(stats.get("labelled", 0), "labelled row"), "" if accuracy is None
                   else "ok")])

    @staticmethod
    def _ab_html(comparison: dict[str, Any]) -> str:
        rows = comparison["rows"]
        verdict = comparison["verdict"]
        note = f"verdict: {verdict['text']}" if verdict.get("text") else "no verdict"
        if verdict.get("p_value") is not None:
            note += f" · p = {h.fmt_number(verdict['p_value'])} ({verdict.get('test')})"
        if verdict.get("agreement") is not None:
            note += f" · shadow agrees on {h.fmt_percent(verdict['agreement'])} of rows"
        if len(rows) < 2:
            note = "one variant only: the endpoint serves no challenger or shadow"
        body = [(h.badge(row["variant"], row["variant"] if row["variant"] in
                         ("champion", "challenger") else "neutral"),
                 h.esc(", ".join(f"v{v}" for v in row["versions"]) or "–"),
                 h.esc(h.fmt_number(row["requests"], 6)), h.esc(h.fmt_number(row["labelled"], 6)),
                 h.esc("–" if row["accuracy"] is None else h.fmt_percent(row["accuracy"])),
                 h.esc(h.fmt_percent(row["error_rate"])),
                 h.esc(f"{h.fmt_number(row['p95_ms'])} ms")) for row in rows]
        return h.heading("A/B comparison", note) + h.table(
            ("Variant", "Versions", "Requests", "Labelled", "Accuracy", "Error rate",
             "p95"), body, numeric=(2, 3, 4, 5, 6))

    @staticmethod
    def _swaps_html(moves: list[dict[str, Any]], label: str) -> str:
        title = h.heading("Alias moves", f"the served alias, last {label}")
        if not moves:
            return title + h.empty("The served alias did not move in this window.")
        rows = [(h.esc(move["time"].strftime("%Y-%m-%d %H:%M:%S")), h.esc(move["alias"]),
                 h.badge(move["action"], "bad" if move["action"] == "rollback" else "warn"),
                 h.esc(f"v{move.get('from_version') or '–'} → v{move.get('to_version')}"),
                 h.esc(str(move.get("actor") or "")), h.esc(str(move.get("reason") or "")[:160]))
                for move in reversed(moves)]
        return title + h.table(("When (UTC)", "Alias", "Action", "Version", "By", "Reason"),
                               rows)


__all__ = ["ProductionDashboard", "ab_comparison", "accuracy_figure", "bucket_seconds",
           "error_figure", "latency_figure", "per_request", "read_traffic", "rolling_accuracy",
           "swaps", "time_series", "traffic_figure"]
