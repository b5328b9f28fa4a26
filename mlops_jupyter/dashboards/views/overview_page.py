"""The model overview dashboard: champion and challenger, metrics across versions,
one version's lineage and the alias history."""

from __future__ import annotations

from typing import Any

from ...monitoring.columns import column_counts
from .. import data
from .. import html as h
from .common import (
    drift_verdict,
    header_html,
    html_widget,
    replace_options,
    safe_callback,
    set_figure,
)

KEY_METRICS = ("accuracy", "f1", "roc_auc", "auc", "precision", "recall", "r2", "rmse", "mae",
               "log_loss", "loss")


def _key_metrics(metrics: dict[str, float], limit: int = 3) -> list[tuple[str, float]]:
    ordered = [name for name in KEY_METRICS if name in metrics]
    ordered += sorted(name for name in metrics if name not in ordered)
    return [(name, metrics[name]) for name in ordered[:limit]]


def _version_card(label: str, entry: dict[str, Any] | None, tone: str) -> str:
    if entry is None:
        return h.card(label, "none", "no version holds this alias", "")
    metrics = " · ".join(f"{name} {h.fmt_number(value)}"
                         for name, value in _key_metrics(entry.get("metrics") or {}))
    return h.card(label, f"v{entry['version']}",
                  f"{metrics or 'no metrics'} — registered {h.fmt_ago(entry.get('created'))}",
                  tone)


class OverviewDashboard:
    """Champion and challenger, metrics across versions, one version's lineage and
    the alias history; a model selector switches to another model published in the
    same folder."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.source = source
        self.model = source.overview(name)
        names = sorted({*source.names(), name})
        self.model_select = widgets.Dropdown(options=names, value=name, description="Model")
        self.version_select = widgets.Dropdown(description="Version")
        self.metric_select = widgets.Dropdown(description="Metric")
        self.status = html_widget()
        self.header, self.cards, self.details, self.history = html_widget(), html_widget(), html_widget(), html_widget()
        self.compare_title, self.metric_title = html_widget(), html_widget()
        self.compare = widgets.Output(layout={"width": "100%"})
        self.by_version = widgets.Output(layout={"width": "100%"})
        self._render_model()
        self.model_select.observe(safe_callback(self.status, self._on_model), "value")
        self.version_select.observe(safe_callback(self.status, self._on_version), "value")
        self.metric_select.observe(safe_callback(self.status, self._on_metric), "value")
        controls = widgets.HBox([self.model_select, self.version_select])
        controls.add_class("mlops-controls")
        self.widget = widgets.VBox([
            self.header, controls, self.status, self.cards, self.compare_title, self.compare,
            self.metric_title, self.metric_select, self.by_version, self.details,
            html_widget(h.heading("Alias history", "every decision about an alias, newest first")),
            self.history])
        self.widget.add_class("mlops-dash")

    def _on_model(self, change) -> None:
        self.model = self.source.overview(change["new"])
        self._render_model()

    def _on_version(self, change) -> None:
        if change["new"] is not None and not getattr(self.version_select, "_replacing", False):
            self._render_version(change["new"])

    def _on_metric(self, change) -> None:
        if change["new"] and not getattr(self.metric_select, "_replacing", False):
            set_figure(self.by_version, self._metric_figure(change["new"]))

    def _render_model(self) -> None:
        model = self.model
        holders = model["holders"]
        latest = self.source.latest_check(model["name"])
        checks = [latest] if latest else []
        verdict, tone = drift_verdict(latest)
        self.header.value = header_html("overview", model, (
            f"{h.plural(len(model['versions']), 'version')} · latest v{model['latest_version'] or '–'} "
            f"· updated {h.fmt_ago(model.get('updated'))}"))
        drift_hint = (f"{column_counts(checks[-1]).text()}, {h.fmt_ago(checks[-1]['time'])}"
                      ) if checks else \
            "no drift check recorded yet"
        self.cards.value = h.cards([
            _version_card("Champion", holders.get("champion"), "champion"),
            _version_card("Challenger", holders.get("challenger"), "challenger"),
            h.card("Latest drift check", verdict, drift_hint, tone),
            h.card("Versions", str(len(model["versions"])),
                   f"latest v{model['latest_version'] or '–'} "
                   f"registered {h.fmt_ago(model['versions'][0]['created'])}"
                   if model["versions"] else "none registered yet")])
        self._render_compare()
        metrics = sorted({name for entry in model["versions"] for name in entry["metrics"]},
                         key=lambda name: (name not in KEY_METRICS,
                                           KEY_METRICS.index(name) if name in KEY_METRICS
                                           else 0, name))
        self.metric_title.value = h.heading("A metric across versions") if metrics else ""
        replace_options(self.metric_select, metrics, metrics[0] if metrics else None)
        self.metric_select.layout.display = None if metrics else "none"
        if metrics:
            set_figure(self.by_version, self._metric_figure(metrics[0]))
        else:
            self.by_version.outputs = ()
        options = [(f"v{entry['version']}" + (f" ({', '.join(entry['aliases'])})"
                                               if entry["aliases"] else ""), entry["version"])
                   for entry in model["versions"]]
        chosen = (holders.get("champion") or (model["versions"][0] if model["versions"]
                                              else None))
        replace_options(self.version_select, options, chosen["version"] if chosen else None)
        if chosen:
            self._render_version(chosen["version"])
        else:
            self.details.value = h.empty("No version registered yet.")
        self.history.value = self._history_table()

    def _metric_figure(self, metric: str):
        from ..charts import metric_by_version_figure

        return metric_by_version_figure(self.model["versions"], metric, self.model["aliases"])

    def _render_compare(self) -> None:
        from ..charts import compare_figure

        holders = self.model["holders"]
        champion, challenger = holders.get("champion"), holders.get("challenger")
        if champion and challenger and set(champion["metrics"]) & set(challenger["metrics"]):
            self.compare_title.value = h.heading(
                "Champion vs challenger",
                f"v{champion['version']} vs v{challenger['version']}, run metrics")
            set_figure(self.compare, compare_figure(
                champion, challenger, (f"champion v{champion['version']}",
                                       f"challenger v{challenger['version']}")))
        else:
            self.compare_title.value = ""
            self.compare.outputs = ()

    def _render_version(self, version: str) -> None:
        entry = next(item for item in self.model["versions"] if item["version"] == version)
        trace = self.source.lineage(self.model["name"], version)
        metrics = "".join(f"{h.badge(name, 'neutral')} {h.esc(h.fmt_number(value, 4))} &nbsp; "
                          for name, value in _key_metrics(entry["metrics"], limit=12)) or "–"
        pairs = [("Version", h.esc(f"v{version}") + " " + " ".join(
                     h.badge(alias, alias if alias in ("champion", "challenger") else "neutral")
                     for alias in entry["aliases"])),
                 ("Registered", h.esc(h.fmt_time(entry.get("created")))),
                 ("Metrics", metrics)]
        if entry.get("gate"):
            passed = entry["gate"].get("passed")
            pairs.append(("Last gate verdict", h.badge("passed" if passed else "refused",
                                                       "ok" if passed else "bad")))
        if trace:
            pairs += [("Run", h.esc(f"{trace['run'] or '?'} ({trace['run_status'] or '?'})")),
                      ("Trained in", h.esc(trace["source"] or "unknown")),
                      ("Git commit", h.esc(trace["git"] or "not recorded")),
                      ("Data inputs", h.esc(f"{trace['inputs']} recorded by content hash"
                                            if trace["inputs"] else "none recorded")),
                      ("Parameters", h.esc(", ".join(f"{k}={v}" for k, v in
                                                     trace["parameters"].items()) or "none"))]
            if trace["upstream"]:
                pairs.append(("Upstream steps", h.esc(", ".join(map(str, trace["upstream"])))))
        else:
            pairs.append(("Lineage", h.esc("the training run is not available")))
        self.details.value = h.heading(f"Version {version}", "where it came from") + \
            h.key_values(pairs)

    def _history_table(self) -> str:
        entries = list(reversed(self.model.get("history") or []))[:15]
        if not entries:
            return h.empty("No alias decisions recorded yet.")
        tones = {"set": "ok", "forced": "warn", "rollback": "warn", "refused": "bad"}
        rows = [(h.esc(str(entry.get("at", ""))[:16].replace("T", " ")),
                 h.badge(str(entry.get("action", "?")), tones.get(entry.get("action"), "neutral")),
                 h.esc(f"@{entry.get('alias', '?')}"),
                 h.esc(_moves(entry)),
                 h.esc(entry.get("actor") or ""), h.esc(entry.get("reason") or ""))
                for entry in entries]
        return h.table(("When (UTC)", "Decision", "Alias", "Versions", "By", "Why"), rows)


def _moves(entry: dict[str, Any]) -> str:
    before, after = entry.get("from_version"), entry.get("to_version")
    if before and after:
        return f"v{before} → v{after}"
    return f"→ v{after}" if after else (f"v{before}" if before else "–")
