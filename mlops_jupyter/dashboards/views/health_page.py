"""The health dashboard: drift checks, the training pipeline's runs and the
scheduler's jobs over a period."""

from __future__ import annotations

from typing import Any

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


class HealthDashboard:
    """Drift checks, the training pipeline's runs and the scheduler's jobs, over a
    period: what ran, what failed, what was retrained."""

    def __init__(self, name: str, source: data.Source):
        import ipywidgets as widgets

        self.info = source.health(name)
        self.model = self.info["model"]
        self.period = period_buttons(default_period(self.info["checks"]))
        self.status, self.cards, self.tables = html_widget(), html_widget(), html_widget()
        self.chart = widgets.Output(layout={"width": "100%"})
        pipeline = self.info["pipeline"]
        subtitle = (f"trained by pipeline {pipeline}" if pipeline else
                    "no training pipeline recorded for the champion") + \
            f" · {h.plural(len(self.info['checks']), 'drift check')}"
        self.render()
        self.period.observe(safe_callback(self.status, lambda _c: self.render()), "value")
        controls = widgets.HBox([self.period])
        controls.add_class("mlops-controls")
        self.widget = widgets.VBox([
            html_widget(header_html("health", self.model, subtitle)), controls, self.status, self.cards,
            html_widget(h.heading("Timeline", "one dot per execution, coloured by outcome")),
            self.chart, self.tables])
        self.widget.add_class("mlops-dash")

    def render(self) -> None:
        """Draw every part for the selected period."""
        from ..charts import health_timeline_figure

        days = period_days(self.period.value)
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
                   drift_verdict(latest)[0] if latest else "no check in this period",
                   # drift's colour when the last check found drift, as on every page
                   "" if not latest else "bad" if latest.get("dataset_drift")
                   else ("warn" if failed_checks else "ok")),
            h.card("Drift checks", str(len(checks)), f"{failed_checks} failed",
                   "bad" if failed_checks else "ok"),
            h.card("Alerts", str(sum(1 for e in events if e["kind"] == "alert")),
                   f"{h.plural(len(retrains), 'retrain')} started", "warn" if events else "ok"),
            h.card("Pipeline runs", str(len(runs)), f"{failed_runs} failed"
                   if self.info["pipeline"] else "no pipeline recorded",
                   "bad" if failed_runs else ("ok" if runs else "")),
            h.card("Scheduled jobs", str(len(jobs)), f"{failed_jobs} failed or interrupted"
                   if jobs or not self.info["jobs_note"] else self.info["jobs_note"],
                   "bad" if failed_jobs else ("ok" if jobs else ""))])
        set_figure(self.chart, health_timeline_figure(checks, runs, jobs))
        self.tables.value = (self._runs_html(runs) + self._jobs_html(jobs)
                             + events_html(checks))

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
