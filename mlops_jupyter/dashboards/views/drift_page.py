"""The drift dashboard: drift over time, per-feature verdicts with their history,
alerts and retrains, and the latest Evidently report."""

from __future__ import annotations

from ... import names
from ...monitoring.columns import column_counts
from .. import data
from .. import html as h
from .common import (
    default_period,
    drift_verdict,
    events_html,
    header_html,
    html_widget,
    period_buttons,
    period_days,
    safe_callback,
    set_figure,
)


class DriftDashboard:
    """Drift over time, the latest per-feature verdicts with small histories, alerts
    and retrains, and the latest Evidently report in a sandboxed frame."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.source = source
        self.model = source.overview(name)
        self.checks = source.checks(name)
        versions = sorted({str(check["version"]) for check in self.checks if check["version"]},
                          key=lambda value: int(value) if names.is_decimal(value) else 0, reverse=True)
        by_version = {str(v): alias for alias, v in self.model["aliases"].items()}
        self.period = period_buttons(default_period(self.checks))
        self.version = widgets.Dropdown(
            options=[("All versions", "")] + [
                (f"v{value}" + (f" ({by_version[value]})" if value in by_version else ""), value)
                for value in versions], value="", description="Version")
        self.status, self.cards, self.features, self.events, self.report = (
            html_widget(), html_widget(), html_widget(), html_widget(), html_widget())
        self.report._no_snapshot = True  # megabytes: the live page has it
        self.chart_title = html_widget()
        self.chart = widgets.Output(layout={"width": "100%"})
        header = html_widget(header_html("drift", self.model, (
            f"{h.plural(len(self.checks), 'drift check')} stored · latest "
            f"{h.fmt_ago(self.checks[-1]['time']) if self.checks else 'never'}")))
        if not self.checks:
            self.widget = widgets.VBox([header, html_widget(h.message_page(
                "No drift check recorded yet", [
                    f"Nothing has been checked for {name!r} so far.",
                    ("Drift checks are recorded by `mlops drift check` or by a scheduled "
                     "monitoring job; this page shows them as soon as one is stored.")]))])
            self.widget.add_class("mlops-dash")
            return
        self.render()
        update = safe_callback(self.status, lambda _change: self.render())
        self.period.observe(update, "value")
        self.version.observe(update, "value")
        controls = widgets.HBox([self.period, self.version])
        controls.add_class("mlops-controls")
        self.widget = widgets.VBox([
            header, controls, self.status, self.cards, self.chart_title, self.chart,
            self.features, self.events, self.report])
        self.widget.add_class("mlops-dash")

    def render(self) -> None:
        """Draw every part for the selected period and version."""
        from ..charts import drift_share_figure

        checks = data.filter_checks(self.checks, days=period_days(self.period.value),
                                    version=self.version.value or None)
        if not checks:
            self.cards.value = h.empty("No drift check in this period for this version.")
            self.chart_title.value = self.features.value = self.events.value = ""
            self.report.value = ""
            self.chart.outputs = ()
            return
        latest = checks[-1]
        result = self.source.result(latest["run_id"])
        threshold = data.drift_threshold(result)
        verdict, tone = drift_verdict(latest)
        drifted_runs = sum(1 for check in checks if check.get("dataset_drift"))
        alerts = sum(len(check.get("alerts") or []) for check in checks)
        counts = column_counts(result or latest)  # the one counting rule
        self.cards.value = h.cards([
            h.card("Latest verdict", verdict,
                   f"{counts.text()} · v{latest.get('version') or '?'} · "
                   f"{h.fmt_ago(latest['time'])}", tone),
            h.card("Drifted columns", h.fmt_percent(latest.get("drift_share")),
                   f"dataset drift at {threshold:.0%} of columns", tone),
            h.card("Rows checked", h.fmt_number(latest["current_rows"]),
                   f"latest window ({latest.get('current') or 'current data'})"),
            h.card("Checks in period", str(len(checks)),
                   f"{drifted_runs} with dataset drift", "bad" if drifted_runs else "ok"),
            h.card("Alerts in period", str(alerts),
                   f"fired by the alert rules in {h.plural(len(checks), 'check')}",
                   "warn" if alerts else "ok")])
        self.chart_title.value = h.heading("Share of drifted columns over time",
                                           "one point per check · red: dataset drift")
        set_figure(self.chart, drift_share_figure(checks, threshold))
        self.features.value = self._features_html(checks, result, latest, counts)
        self.events.value = events_html(checks)
        self.report.value = self._report_html(latest)

    def _features_html(self, checks, result, latest, counts) -> str:
        rows = data.feature_rows(checks, result)
        if not rows:
            return h.heading("Columns") + h.empty("The latest check recorded no columns.")
        body, classes = [], []
        for row in rows:
            if row["status"] != "computed":
                state = h.badge("skipped", "neutral")
            else:
                state = h.badge("drift", "bad") if row["drifted"] else h.badge("stable", "ok")
            recent = sum(1 for _, _, drifted in row["history"] if drifted)
            direction = {"p_value": "p-value", "distance": "distance"}.get(row["score_kind"],
                                                                         "score")
            role = " · prediction" if row["role"] == "prediction" else ""  # counted too
            body.append((
                f"<strong>{h.esc(row['column'])}</strong>",
                state,
                h.esc((row["kind"] or "–") + role),
                h.esc(row["method"] or row["reason"] or "–"),
                h.esc(f"{h.fmt_number(row['score'])}" + (f" ({direction})"
                                                         if row["score_kind"] else "")),
                h.esc(h.fmt_number(row["threshold"])),
                h.sparkline(row["history"], row["threshold"]),
                h.esc(f"{recent} of {h.plural(len(row['history']), 'check')}"
                      if row["history"] else "–")))
            classes.append("drifted" if row["drifted"] else "")
        return (h.heading("Columns in the latest check",
                          f"{counts.text()} · drifted first · {h.fmt_time(latest['time'])}")
                + h.table(("Column", "Verdict", "Type", "Test", "Score", "Threshold",
                           "Score history", "Drifted in"), body, numeric=(4, 5, 7),
                          row_classes=classes, css_class="mlops-features"))

    def _report_html(self, latest) -> str:
        report = self.source.report(latest["run_id"])
        title = h.heading("Latest Evidently report",
                          f"check of {h.fmt_time(latest['time'])} · on a bounded sample; "
                          "the verdicts above use every row")
        if report is None:
            return title + h.empty("This check stored no Evidently report.")
        return title + h.sandboxed_report(report, f"Evidently data drift report, "
                                                  f"{self.model['name']}")
