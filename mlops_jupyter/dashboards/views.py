"""The dashboards as ipywidgets: what the notebook templates display.

Each public function takes the published parameters (model name, tracking URI, the
server's prefetched first view) and returns what the template displays: a
:class:`Dashboard` (the live widget plus a static HTML copy of its first view). A
problem a reader can understand (unknown model, store not reachable, nothing recorded
yet) becomes a friendly HTML page instead; anything else becomes a short "cannot be
shown" page while the traceback goes to the server's log, never to the page.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from ..exceptions import MLOpsError, NotFoundError, StoreUnavailableError, UsageError
from . import data
from . import html as h

PERIODS = (("7 days", 7), ("30 days", 30), ("90 days", 90), ("All", None))
KEY_METRICS = ("accuracy", "f1", "roc_auc", "auc", "precision", "recall", "r2", "rmse", "mae",
               "log_loss", "loss")
log = logging.getLogger("mlops_jupyter.dashboards")


# ------------------------------------------------------------------- entry points
def overview(model: str, tracking_uri: str = "", prefetched: str = ""):
    """The model overview: champion and challenger, metrics, lineage, alias history.

    Args:
        model: Registered model name (the published parameter).
        tracking_uri: Store to read; empty for the configured one.
        prefetched: A payload file the server read for this page view
            (:mod:`.prefetch`); empty to read everything from the store.
    """
    return _guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        OverviewDashboard(model, source).widget, model, "overview"))


def drift(model: str, tracking_uri: str = "", prefetched: str = ""):
    """Drift: share of drifted columns over time, per-feature verdicts with their
    history, alerts and retrains, and the latest Evidently report (arguments as
    :func:`overview`)."""
    return _guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        DriftDashboard(model, source).widget, model, "drift"))


def health(model: str, tracking_uri: str = "", prefetched: str = ""):
    """Pipeline and job health: drift checks, pipeline runs and scheduled jobs
    (arguments as :func:`overview`)."""
    return _guarded(model, tracking_uri, prefetched, lambda source: Dashboard(
        HealthDashboard(model, source).widget, model, "health"))


class Dashboard:
    """What a template displays: the live widget, plus a static HTML copy of its
    first view in the same output.

    The browser shows the widget (its renderer outranks HTML); the copy keeps the
    page's own source meaningful for clients without a widget manager (``curl``, a
    link preview, a test) and costs no second query. Charts and the Evidently report
    are left out of the copy.
    """

    def __init__(self, widget, model: str, kind: str):
        self.widget = widget
        self.model = model
        self.kind = kind

    def snapshot(self) -> str:
        """The HTML of every HTML widget of the first view, in page order."""
        import ipywidgets as widgets

        parts, stack = [], [self.widget]
        while stack:
            item = stack.pop(0)
            if getattr(item, "_no_snapshot", False):
                continue
            children = getattr(item, "children", None)
            if children is not None:
                stack[:0] = list(children)
            elif isinstance(item, widgets.HTML):
                parts.append(item.value)
        return f'<div class="mlops-dash mlops-snapshot">{"".join(parts)}</div>'

    def _repr_mimebundle_(self, **kwargs):
        data = dict(self.widget._repr_mimebundle_(**kwargs))
        data["text/plain"] = f"mlops-jupyter {self.kind} dashboard of {self.model}"
        data["text/html"] = self.snapshot()
        return data


# -------------------------------------------------------------------------- guard
def _quiet_kernel() -> None:
    """Nothing but the dashboard may reach the page: library warnings and log lines
    would show up as text under it."""
    warnings.simplefilter("ignore")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "ERROR")
    for name in ("mlflow", "alembic", "sqlalchemy", "urllib3"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if not log.handlers:  # tracebacks to the server's terminal, not to the page
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("[mlops dashboard] %(message)s"))
        log.addHandler(handler)
        log.propagate = False


def _guarded(model: str, tracking_uri: str, prefetched: str,
             build: Callable[[data.Source], Any]):
    from IPython.display import HTML

    from .prefetch import load

    _quiet_kernel()
    try:
        data.use_tracking_uri(tracking_uri)
        return build(data.Source(load(prefetched)))
    except NotFoundError as exc:
        unknown = str(exc.message).startswith("no registered model")
        return HTML(h.message_page("This model is not in the registry", [
            f"There is no registered model named {model!r} (any more)." if unknown
            else exc.message,
            ("Ask the model's owner to publish this dashboard again for an existing "
             "model; the list of dashboards is on this server's home page.")]))
    except UsageError as exc:
        return HTML(h.message_page("This dashboard cannot be shown", [exc.message]))
    except StoreUnavailableError:
        return HTML(h.message_page("The model store is not reachable right now", [
            "The dashboard reads the tracking store, which did not answer.",
            "Please reload the page in a minute."]))
    except MLOpsError as exc:
        return HTML(h.message_page("This dashboard cannot be shown", [exc.message]))
    except Exception as exc:  # noqa: BLE001 - a reader never gets a traceback
        log.error("dashboard for %r failed:\n%s", model, traceback.format_exc())
        return HTML(h.message_page("This dashboard cannot be shown", [
            f"An internal error occurred ({type(exc).__name__}).",
            "The server's log has the details."]))


def _safe_callback(status, function: Callable[..., None]) -> Callable[..., None]:
    """A widget callback whose failures are shown in ``status`` in one line."""

    def run(*args: Any) -> None:
        try:
            function(*args)
            status.value = ""
        except MLOpsError as exc:
            status.value = h.empty(exc.message)
        except Exception:  # noqa: BLE001
            log.error("dashboard update failed:\n%s", traceback.format_exc())
            status.value = h.empty("This view could not be updated (see the server log).")

    return run


# ------------------------------------------------------------------------ helpers
def figure_output(fig):
    """An Output widget holding a plotly figure (as JSON, drawn by the browser)."""
    import ipywidgets as widgets
    import plotly.io as pio

    from .charts import CONFIG

    out = widgets.Output(layout={"width": "100%"})
    out.outputs = (_figure_bundle(fig, pio, CONFIG),)
    return out


def set_figure(out, fig) -> None:
    """Replace the figure shown by a :func:`figure_output`."""
    import plotly.io as pio

    from .charts import CONFIG

    out.outputs = (_figure_bundle(fig, pio, CONFIG),)


def _figure_bundle(fig, pio, config: dict[str, Any]) -> dict[str, Any]:
    spec = json.loads(pio.to_json(fig, validate=False))
    spec["config"] = config
    return {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.plotly.v1+json": spec,
                     "text/plain": "<plotly figure>"}}


def _html(value: str = ""):
    import ipywidgets as widgets

    return widgets.HTML(value=value, layout={"width": "100%"})


def _header(kind: str, model: dict[str, Any], subtitle: str) -> str:
    badges = " ".join(h.badge(f"{alias} v{version}",
                              alias if alias in ("champion", "challenger") else "neutral")
                      for alias, version in sorted(model["aliases"].items()))
    description = f'<div class="mlops-desc">{h.esc(model["description"])}</div>' \
        if model.get("description") else ""
    return (f'{h.STYLE}<div data-mlops-dashboard="{h.esc(kind)}" '
            f'data-model="{h.esc(model["name"])}"><h1>{h.esc(model["name"])} '
            f'<span style="font-weight:400;color:#6b7280">· {h.esc(kind)}</span></h1>'
            f'<div class="mlops-sub">{h.esc(subtitle)} {badges}</div>{description}</div>')


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


def _verdict(check: dict[str, Any] | None) -> tuple[str, str]:
    if check is None:
        return "not checked", "neutral"
    if check.get("status") == "FAILED":
        return "check failed", "warn"
    if check.get("dataset_drift") is None:
        return "unknown", "neutral"
    return ("drift detected", "bad") if check["dataset_drift"] else ("no drift", "ok")


def _replace_options(select, options: list, value: Any) -> None:
    """New options and value for a Dropdown without its observers reacting to the
    intermediate states (the caller draws for the new value itself)."""
    select._replacing = True
    try:
        select.options = options
        select.value = value
    finally:
        select._replacing = False


def _period_buttons(default: str):
    import ipywidgets as widgets

    return widgets.ToggleButtons(options=[label for label, _ in PERIODS], value=default,
                                 description="Period",
                                 style={"button_width": "74px", "description_width": "initial"})


def _default_period(checks: list[dict[str, Any]]) -> str:
    recent = data.filter_checks(checks, days=90)
    return "90 days" if recent else "All"


def _days(label: str) -> int | None:
    return dict(PERIODS)[label]


# ----------------------------------------------------------------------- overview
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
        self.status = _html()
        self.header, self.cards, self.details, self.history = _html(), _html(), _html(), _html()
        self.compare_title, self.metric_title = _html(), _html()
        self.compare = widgets.Output(layout={"width": "100%"})
        self.by_version = widgets.Output(layout={"width": "100%"})
        self._render_model()
        self.model_select.observe(_safe_callback(self.status, self._on_model), "value")
        self.version_select.observe(_safe_callback(self.status, self._on_version), "value")
        self.metric_select.observe(_safe_callback(self.status, self._on_metric), "value")
        controls = widgets.HBox([self.model_select, self.version_select])
        controls.add_class("mlops-controls")
        self.widget = widgets.VBox([
            self.header, controls, self.status, self.cards, self.compare_title, self.compare,
            self.metric_title, self.metric_select, self.by_version, self.details,
            _html(h.heading("Alias history", "every decision about an alias, newest first")),
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
        verdict, tone = _verdict(latest)
        self.header.value = _header("overview", model, (
            f"{len(model['versions'])} version(s) · latest v{model['latest_version'] or '–'} "
            f"· updated {h.fmt_ago(model.get('updated'))}"))
        drift_hint = (f"{checks[-1]['drifted_columns']} of {checks[-1]['checked_columns']} "
                      f"columns, {h.fmt_ago(checks[-1]['time'])}") if checks else \
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
        _replace_options(self.metric_select, metrics, metrics[0] if metrics else None)
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
        _replace_options(self.version_select, options, chosen["version"] if chosen else None)
        if chosen:
            self._render_version(chosen["version"])
        else:
            self.details.value = h.empty("No version registered yet.")
        self.history.value = self._history_table()

    def _metric_figure(self, metric: str):
        from .charts import metric_by_version_figure

        return metric_by_version_figure(self.model["versions"], metric, self.model["aliases"])

    def _render_compare(self) -> None:
        from .charts import compare_figure

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


# -------------------------------------------------------------------------- drift
class DriftDashboard:
    """Drift over time, the latest per-feature verdicts with small histories, alerts
    and retrains, and the latest Evidently report in a sandboxed frame."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.source = source
        self.model = source.overview(name)
        self.checks = source.checks(name)
        versions = sorted({str(check["version"]) for check in self.checks if check["version"]},
                          key=lambda value: int(value) if value.isdigit() else 0, reverse=True)
        by_version = {str(v): alias for alias, v in self.model["aliases"].items()}
        self.period = _period_buttons(_default_period(self.checks))
        self.version = widgets.Dropdown(
            options=[("All versions", "")] + [
                (f"v{value}" + (f" ({by_version[value]})" if value in by_version else ""), value)
                for value in versions], value="", description="Version")
        self.status, self.cards, self.features, self.events, self.report = (
            _html(), _html(), _html(), _html(), _html())
        self.report._no_snapshot = True  # megabytes: the live page has it
        self.chart_title = _html()
        self.chart = widgets.Output(layout={"width": "100%"})
        header = _html(_header("drift", self.model, (
            f"{len(self.checks)} drift check(s) stored · latest "
            f"{h.fmt_ago(self.checks[-1]['time']) if self.checks else 'never'}")))
        if not self.checks:
            self.widget = widgets.VBox([header, _html(h.message_page(
                "No drift check recorded yet", [
                    f"Nothing has been checked for {name!r} so far.",
                    ("Drift checks are recorded by `mlops drift check` or by a scheduled "
                     "monitoring job; this page shows them as soon as one is stored.")]))])
            self.widget.add_class("mlops-dash")
            return
        self.render()
        update = _safe_callback(self.status, lambda _change: self.render())
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
        from .charts import drift_share_figure

        checks = data.filter_checks(self.checks, days=_days(self.period.value),
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
        verdict, tone = _verdict(latest)
        drifted_runs = sum(1 for check in checks if check.get("dataset_drift"))
        alerts = sum(len(check.get("alerts") or []) for check in checks)
        self.cards.value = h.cards([
            h.card("Latest verdict", verdict,
                   f"{latest['drifted_columns']} of {latest['checked_columns']} columns drifted "
                   f"· v{latest.get('version') or '?'} · {h.fmt_ago(latest['time'])}", tone),
            h.card("Drifted columns", h.fmt_percent(latest.get("drift_share")),
                   f"dataset drift at {threshold:.0%} of columns", tone),
            h.card("Rows checked", h.fmt_number(latest["current_rows"]),
                   f"latest window ({latest.get('current') or 'current data'})"),
            h.card("Checks in period", str(len(checks)),
                   f"{drifted_runs} with dataset drift", "bad" if drifted_runs else "ok"),
            h.card("Alerts in period", str(alerts), "fired by the alert rules",
                   "warn" if alerts else "ok")])
        self.chart_title.value = h.heading("Share of drifted columns over time",
                                           "one point per check · red: dataset drift")
        set_figure(self.chart, drift_share_figure(checks, threshold))
        self.features.value = self._features_html(checks, result, latest)
        self.events.value = self._events_html(checks)
        self.report.value = self._report_html(latest)

    def _features_html(self, checks, result, latest) -> str:
        rows = data.feature_rows(checks, result)
        if not rows:
            return h.heading("Features") + h.empty("The latest check recorded no columns.")
        body, classes = [], []
        for row in rows:
            if row["status"] != "computed":
                state = h.badge("skipped", "neutral")
            else:
                state = h.badge("drift", "bad") if row["drifted"] else h.badge("stable", "ok")
            recent = sum(1 for _, _, drifted in row["history"] if drifted)
            direction = {"p_value": "p-value", "distance": "distance"}.get(row["score_kind"],
                                                                         "score")
            body.append((
                f"<strong>{h.esc(row['column'])}</strong>",
                state,
                h.esc(row["kind"] or "–"),
                h.esc(row["method"] or row["reason"] or "–"),
                h.esc(f"{h.fmt_number(row['score'])}" + (f" ({direction})"
                                                         if row["score_kind"] else "")),
                h.esc(h.fmt_number(row["threshold"])),
                h.sparkline(row["history"], row["threshold"]),
                h.esc(f"{recent} of {len(row['history'])}")))
            classes.append("drifted" if row["drifted"] else "")
        drifted = sum(1 for row in rows if row["drifted"])
        return (h.heading("Features in the latest check",
                          f"{drifted} of {len(rows)} drifted · {h.fmt_time(latest['time'])}")
                + h.table(("Column", "Verdict", "Type", "Test", "Score", "Threshold",
                           "Score history", "Drifted in"), body, numeric=(4, 5, 7),
                          row_classes=classes, css_class="mlops-features"))

    @staticmethod
    def _events_html(checks) -> str:
        found = data.events(checks)[:20]
        if not found:
            return h.heading("Alerts and retrains") + h.empty(
                "No alert fired and no retrain started in this period.")
        tones = {"started": "warn", "succeeded": "ok", "promoted": "ok", "failed": "bad",
                 "skipped": "neutral"}
        rows = [(h.esc(h.fmt_time(event["time"])),
                 h.badge(event["kind"], "warn" if event["kind"] == "alert" else "champion"),
                 h.badge(event["status"], tones.get(str(event["status"]).lower(), "neutral")),
                 h.esc(f"v{event['version']}" if event.get("version") else "–"),
                 h.esc(event["text"])) for event in found]
        return h.heading("Alerts and retrains", "newest first") + h.table(
            ("When", "What", "Status", "Model version", "Details"), rows)

    def _report_html(self, latest) -> str:
        report = self.source.report(latest["run_id"])
        title = h.heading("Latest Evidently report",
                          f"check of {h.fmt_time(latest['time'])} · on a bounded sample; "
                          "the verdicts above use every row")
        if report is None:
            return title + h.empty("This check stored no Evidently report.")
        return title + h.sandboxed_report(report, f"Evidently data drift report, "
                                                  f"{self.model['name']}")


# ------------------------------------------------------------------------- health
class HealthDashboard:
    """Drift checks, the training pipeline's runs and the scheduler's jobs, over a
    period: what ran, what failed, what was retrained."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.info = source.health(name)
        self.model = self.info["model"]
        self.period = _period_buttons(_default_period(self.info["checks"]))
        self.status, self.cards, self.tables = _html(), _html(), _html()
        self.chart = widgets.Output(layout={"width": "100%"})
        pipeline = self.info["pipeline"]
        subtitle = (f"trained by pipeline {pipeline}" if pipeline else
                    "no training pipeline recorded for the champion") + \
            f" · {len(self.info['checks'])} drift check(s)"
        self.render()
        self.period.observe(_safe_callback(self.status, lambda _c: self.render()), "value")
        controls = widgets.HBox([self.period])
        controls.add_class("mlops-controls")
        self.widget = widgets.VBox([
            _html(_header("health", self.model, subtitle)), controls, self.status, self.cards,
            _html(h.heading("Timeline", "one dot per execution, coloured by outcome")),
            self.chart, self.tables])
        self.widget.add_class("mlops-dash")

    def render(self) -> None:
        """Draw every part for the selected period."""
        from .charts import health_timeline_figure

        days = _days(self.period.value)
        since = None if days is None else data.now_ms() - days * data.DAY_MS
        checks = data.filter_checks(self.info["checks"], days=days)
        runs = [run for run in self.info["pipeline_runs"]
                if since is None or (run["time"] or 0) >= since]
        jobs = [job for job in self.info["jobs"]
                if since is None or (_job_ms(job) or 0) >= since]
        events = data.events(checks)
        failed_checks = sum(1 for check in checks if check["status"] == "FAILED")
        failed_runs = sum(1 for run in runs if run["status"] == "FAILED")
        failed_jobs = sum(1 for job in jobs if job["status"] in ("FAILED", "TIMED_OUT",
                                                                  "INTERRUPTED"))
        retrains = [event for event in events if event["kind"] == "retrain"]
        latest = checks[-1] if checks else None
        self.cards.value = h.cards([
            h.card("Last drift check", h.fmt_ago(latest["time"]) if latest else "never",
                   _verdict(latest)[0] if latest else "no check in this period",
                   "ok" if latest and not failed_checks else ("warn" if latest else "")),
            h.card("Drift checks", str(len(checks)), f"{failed_checks} failed",
                   "bad" if failed_checks else "ok"),
            h.card("Alerts", str(sum(1 for e in events if e["kind"] == "alert")),
                   f"{len(retrains)} retrain(s) started", "warn" if events else "ok"),
            h.card("Pipeline runs", str(len(runs)), f"{failed_runs} failed"
                   if self.info["pipeline"] else "no pipeline recorded",
                   "bad" if failed_runs else ("ok" if runs else "")),
            h.card("Scheduled jobs", str(len(jobs)), f"{failed_jobs} failed or interrupted"
                   if jobs or not self.info["jobs_note"] else self.info["jobs_note"],
                   "bad" if failed_jobs else ("ok" if jobs else ""))])
        set_figure(self.chart, health_timeline_figure(checks, runs, jobs))
        self.tables.value = (self._runs_html(runs) + self._jobs_html(jobs)
                             + DriftDashboard._events_html(checks))

    def _runs_html(self, runs) -> str:
        title = h.heading("Pipeline runs", self.info["pipeline"] or "")
        if not runs:
            return title + h.empty("No run of the training pipeline in this period."
                                   if self.info["pipeline"] else
                                   "The champion was not trained by a pipeline.")
        rows = [(h.esc(h.fmt_time(run["time"])), _status_badge(run["status"]),
                 h.esc(run["trigger"]), h.esc(h.fmt_duration(run["duration_s"])))
                for run in runs[:20]]
        return title + h.table(("Started", "Status", "Trigger", "Duration"), rows, numeric=(3,))

    @staticmethod
    def _jobs_html(jobs) -> str:
        title = h.heading("Scheduled jobs", "the schedules that run this pipeline")
        if not jobs:
            return title + h.empty("No scheduled job in this period.")
        rows = [(h.esc(str(job.get("started") or job.get("created") or "")[:16]
                       .replace("T", " ")),
                 h.esc(job["schedule"]), h.esc(job["trigger"]), _status_badge(job["status"]),
                 h.esc(h.fmt_duration(job.get("duration_s"))),
                 h.esc((job.get("error") or "")[:160])) for job in jobs[:25]]
        return title + h.table(("Started (UTC)", "Schedule", "Trigger", "Status", "Duration",
                                "Error"), rows, numeric=(4,))


def _moves(entry: dict[str, Any]) -> str:
    before, after = entry.get("from_version"), entry.get("to_version")
    if before and after:
        return f"v{before} → v{after}"
    return f"→ v{after}" if after else (f"v{before}" if before else "–")


def _job_ms(job: dict[str, Any]) -> int | None:
    from datetime import datetime

    text = job.get("started") or job.get("created")
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000) if text else None
    except ValueError:
        return None


def _status_badge(status: str) -> str:
    tone = {"FINISHED": "ok", "SUCCEEDED": "ok", "FAILED": "bad", "TIMED_OUT": "bad",
            "KILLED": "warn", "INTERRUPTED": "warn", "RUNNING": "champion"}.get(status, "neutral")
    return h.badge(status.lower().replace("_", " "), tone)
