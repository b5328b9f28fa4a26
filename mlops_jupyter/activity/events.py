"""Recent outcomes as events the sidebar shows as notifications.

Three read-only sources, each queried by time (the poller asks every few seconds):

* the job store: jobs that ENDED after ``since`` — runs started from the Pipelines
  section (kind ``pipeline``) and scheduled jobs (kind ``job``); a failed one carries
  its one-line error and the MLflow run id;
* the registry's alias history (``mlops.alias_history.*`` tags): promotions (incl.
  the live gate's), refused promotions and rollbacks;
* drift checks (runs of the monitoring experiment) that fired alerts or started a
  retrain.

Event ids are stable (``job-12``, ``alias-iris-champion-3``, ``drift-<run>``), so a
client that sees an event twice can tell.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import config, paths
from .contracts import MAX_EVENTS, Event, EventLink
from .status import one_line

#: Without ``since``: this far back (ms).
DEFAULT_WINDOW_MS = 10 * 60 * 1000
#: Drift checks started this long before ``since`` may still end after it (ms).
CHECK_SLACK_MS = 60 * 60 * 1000
MAX_MODELS = 200

_JOB_OUTCOMES = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed",
                 "INTERRUPTED": "interrupted"}


def _ms(moment: datetime | None) -> int:
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    """Naive UTC, as the job store keeps times."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).replace(tzinfo=None)


def _target_label(target: str, root: Path | None) -> str:
    relative = paths.relative_if_inside(root, target) if root else None
    return relative or Path(target).name


# ------------------------------------------------------------------------- jobs

def job_events(job_store, since_ms: int, root: Path | None) -> list[Event]:
    """Events of jobs that ended after ``since_ms`` (skipped ticks are not events)."""
    from sqlalchemy import select

    from ..scheduling.orm import JobRow

    with job_store.session() as session:
        rows = session.scalars(
            select(JobRow).where(JobRow.ended.is_not(None), JobRow.ended > _from_ms(since_ms))
            .order_by(JobRow.ended.desc()).limit(MAX_EVENTS)).all()
        return [event for event in (_job_event(row, root) for row in rows) if event]


def _job_event(row, root: Path | None) -> Event | None:
    outcome = _JOB_OUTCOMES.get(row.status)
    if outcome is None:
        return None
    label = _target_label(row.target, root)
    pipeline = row.trigger == "sidebar"
    kind = "pipeline" if pipeline else "job"
    what = f"Pipeline {label}" if pipeline else (
        f"Job {row.schedule_name or label} (#{row.id})")
    verb = {"succeeded": "succeeded", "failed": "failed" if row.status == "FAILED"
            else "timed out", "interrupted": "was interrupted"}[outcome]
    details = []
    if outcome != "succeeded":
        details.append(one_line(paths.scrub(row.error or "", root, config.home_dir(create=False)))
                       or "no error recorded")
    if row.mlflow_run_id:
        details.append(f"run {row.mlflow_run_id[:8]}")
    if row.started and row.ended:
        details.append(f"{(row.ended - row.started).total_seconds():.1f} s")
    if row.mlflow_run_id:
        link = EventLink(kind="run", target=row.mlflow_run_id, label="Open run")
    else:
        link = EventLink(kind="job", target=str(row.id), label="Open job")
    return Event(id=f"job-{row.id}", time=_ms(row.ended), kind=kind, outcome=outcome,
                 title=f"{what} {verb}", message=" · ".join(details), link=link)


# --------------------------------------------------------------------- registry

def alias_events(client, since_ms: int) -> list[Event]:
    """Promotions, refused promotions and rollbacks recorded after ``since_ms``."""
    from ..registry.aliases import HISTORY_TAG

    since = datetime.fromtimestamp(since_ms / 1000, tz=timezone.utc)
    events = []
    for model in client.search_registered_models(max_results=MAX_MODELS):
        for key, text in (model.tags or {}).items():
            if not key.startswith(HISTORY_TAG):
                continue
            try:
                entries = json.loads(text or "[]")
            except ValueError:
                continue
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                when = _parse_time(entry.get("at"))
                if when is None or when <= since:
                    continue
                event = _alias_event(model.name, key[len(HISTORY_TAG):], entry, when)
                if event is not None:
                    events.append(event)
    return events


def _parse_time(text: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _alias_event(model: str, alias: str, entry: dict[str, Any], when: datetime) -> Event | None:
    action = entry.get("action")
    to_version, from_version = entry.get("to_version"), entry.get("from_version")
    actor = str(entry.get("actor") or "someone")
    reason = one_line(entry.get("reason"))
    by = "the live gate" if actor == "live-gate" else actor
    link = EventLink(kind="model", target=model, label="Open model")
    ident = f"alias-{model}-{alias}-{entry.get('generation', '')}-{action}-{int(when.timestamp())}"
    if action in ("set", "forced"):
        title = f"{model} v{to_version} is now {alias}"
        parts = [f"promoted by {by}" + (" (forced)" if action == "forced" else "")]
        if from_version:
            parts.append(f"was v{from_version}")
        kind, outcome = "promotion", "succeeded"
    elif action == "rollback":
        title = f"{model} {alias} rolled back to v{to_version}"
        parts = [f"by {by}"]
        kind, outcome = "rollback", "succeeded"
    elif action == "refused":
        title = f"Promotion of {model} v{to_version} to {alias} refused"
        parts = [f"by the gate ({by})"]
        kind, outcome = "promotion", "failed"
    else:
        return None
    if reason:
        parts.append(reason)
    return Event(id=ident[:200], time=int(when.timestamp() * 1000), kind=kind,
                 outcome=outcome, title=title, message=" · ".join(parts), link=link)


# ------------------------------------------------------------------- monitoring

def drift_events(client, since_ms: int) -> list[Event]:
    """Drift checks that ended after ``since_ms`` with alerts, and the retrains they
    started."""
    from ..monitoring import records

    experiment = client.get_experiment_by_name(records.EXPERIMENT)
    if experiment is None:
        return []
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`{records.TAG_KIND}` = '{records.KIND}' AND "
                      f"attributes.start_time > {max(0, since_ms - CHECK_SLACK_MS)}",
        order_by=["attributes.start_time DESC"], max_results=MAX_EVENTS)
    events = []
    for run in runs:
        ended = run.info.end_time or run.info.start_time or 0
        if ended <= since_ms or run.info.status == "RUNNING":
            continue
        check = records.summarize(run)
        events.extend(_check_events(check, ended))
    return events


def _check_events(check: dict[str, Any], ended: int) -> list[Event]:
    run_id = check["run_id"]
    subject = (f"{check['model']} v{check['version']}" if check.get("model")
               else str(check.get("current") or "data"))
    link = EventLink(kind="run", target=run_id, label="Open check")
    events = []
    alerts = [alert for alert in check.get("alerts") or [] if isinstance(alert, dict)]
    if alerts:
        share = check.get("drift_share")
        head = f"drift share {share:.0%}" if isinstance(share, (int, float)) else ""
        messages = [one_line(alert.get("message") or alert.get("rule")) or "" for alert in alerts]
        events.append(Event(
            id=f"drift-{run_id}", time=ended, kind="drift", outcome="alert",
            title=f"Drift alert on {subject}",
            message=" · ".join(filter(None, [head, *messages[:3]])), link=link))
    retrain = check.get("retrain")
    if isinstance(retrain, dict) and retrain.get("status") not in (None, "", "skipped"):
        status = str(retrain["status"])
        failed = status.lower() in ("failed", "error", "refused")
        pipeline_run = retrain.get("pipeline_run_id")
        events.append(Event(
            id=f"retrain-{run_id}", time=ended, kind="retrain",
            outcome="failed" if failed else "succeeded",
            title=f"Retrain of {subject}: {status}",
            message=" · ".join(filter(None, [
                one_line(retrain.get("reason")),
                f"new version v{retrain['version']}" if retrain.get("version") else None,
                "promoted" if retrain.get("promoted") else None])),
            link=EventLink(kind="run", target=str(pipeline_run), label="Open run")
            if isinstance(pipeline_run, str) and pipeline_run else link))
    return events


# ------------------------------------------------------------------------ merge

def merge(sources: list[Callable[[], list[Event]]], log: Callable[[str], None]) -> list[Event]:
    """Every source's events, oldest first, the newest :data:`MAX_EVENTS`; a source
    that fails is logged (one line) and skipped, so one broken store never silences
    the others."""
    events: list[Event] = []
    for source in sources:
        try:
            events.extend(source())
        except Exception as exc:  # noqa: BLE001 - see docstring
            log(f"mlops-jupyter events: {getattr(source, '__name__', 'source')} "
                f"skipped: {one_line(exc)}")
    events.sort(key=lambda event: (event.time, event.id))
    return events[-MAX_EVENTS:]
