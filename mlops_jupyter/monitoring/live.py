"""Serving data as a drift check's current data: the endpoint's inference log.

``current: {serving: MODEL, last: 24h}`` in ``monitor.yaml`` (or ``--serving``) makes
:func:`.checks.run_check` read the window with ``inference.logbook.read_window``:

- the drift data are the logged inputs of the answered requests (champion and
  challenger; a shadow's copies would count each request twice), of the successful
  ones when there are any; the logged ``prediction`` fills the reference profile's
  prediction column when it has one;
- ``metric_below`` metrics are computed on the champion's labelled rows (logged
  prediction vs joined feedback label) — no model is loaded; without labels the rule
  cannot fire and the result says "no labels yet";
- the live health (``logbook.live_stats`` of the answered traffic) feeds the
  ``latency_p95_above`` / ``error_rate_above`` rules and is recorded on the check's
  run as metrics ``live_requests``, ``live_error_rate``, ``live_p95_ms`` and
  ``live_accuracy`` (when labelled); the run's ``mlops.monitor.current`` tag reads
  ``serving:MODEL last 1h``. A check on serving data ends with
  ``serving.ab.promote_if_winner`` (tag :data:`TAG_LIVE_PROMOTION`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..exceptions import UsageError

TAG_LIVE_PROMOTION = "mlops.monitor.live_promotion"
NO_LABELS = "no labels yet"


@dataclass
class LiveWindow:
    """One window of an endpoint's inference log, read for a check."""

    model: str
    last: str
    frame: Any                       # logbook.read_window
    stats: dict[str, Any]            # logbook.live_stats of the answered traffic
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"serving:{self.model} last {self.last}"


def read_live(spec) -> LiveWindow:
    """The window ``spec.serving`` / ``spec.last`` names.

    Raises:
        UsageError: no request logged in the window (one line, nothing recorded).
    """
    from ..inference.logbook import live_stats, parse_duration, read_window

    window = parse_duration(spec.last)
    frame = read_window(spec.serving, last=window)
    if frame.empty:
        raise UsageError(f"no requests logged for {spec.serving} in the last {spec.last}")
    return LiveWindow(spec.serving, spec.last, frame,
                      live_stats(frame, window_s=window.total_seconds()))


def _meta_columns() -> set[str]:
    from ..inference.logbook import META_COLUMNS

    return {*META_COLUMNS, "label"}


def _succeeded(frame):
    status = frame["status"].astype("float64")
    return frame[(status >= 200) & (status < 300) & frame["error"].isna()]


def current_frame(window: LiveWindow, profile):
    """The drift data: logged inputs (+ the prediction column the profile checks)."""
    frame = window.frame
    answered = frame[frame["variant"] != "shadow"]
    if answered.empty:
        answered = frame
    ok = _succeeded(answered)
    rows = ok if len(ok) else answered
    meta = _meta_columns()
    features = [column for column in rows.columns if column not in meta]
    current = rows[features].reset_index(drop=True)
    prediction = getattr(profile, "prediction_column", None)
    if prediction and prediction not in current.columns:
        current[prediction] = rows["prediction"].to_numpy()
    return current


def performance(spec, window: LiveWindow) -> dict[str, float]:
    """``metric_below`` metrics of the champion's labelled rows; notes when unlabelled."""
    from ..registry.scores import score

    metrics = sorted({next(iter(rule.value)) for rule in spec.rules
                      if rule.condition == "metric_below"})
    if not metrics:
        return {}
    frame = window.frame
    champion = frame[frame["variant"] == "champion"]
    labelled = _succeeded(champion)
    labelled = labelled[labelled["prediction"].notna() & labelled["label"].notna()]
    if labelled.empty:
        window.notes.append(f"metric_below ({', '.join(metrics)}): {NO_LABELS}")
        return {}
    predictions, labels = labelled["prediction"].to_numpy(), labelled["label"].to_numpy()
    try:
        return {metric: score(predictions, labels, metric) for metric in metrics}
    except (TypeError, ValueError) as error:
        raise UsageError(f"cannot score the logged predictions against the feedback "
                         f"labels: {str(error)[:200]}") from None


def live_metrics(window: LiveWindow) -> dict[str, float]:
    """The metrics a check on serving data records on its run."""
    stats = window.stats
    values = {"live_requests": stats.get("requests"), "live_errors": stats.get("errors"),
              "live_error_rate": stats.get("error_rate"), "live_p50_ms": stats.get("p50_ms"),
              "live_p95_ms": stats.get("p95_ms"), "live_p99_ms": stats.get("p99_ms"),
              "live_labelled": stats.get("labelled"), "live_accuracy": stats.get("accuracy")}
    return {key: float(value) for key, value in values.items() if value is not None}


def summary(window: LiveWindow) -> dict[str, Any]:
    """What a check's result says about the window (JSON-ready)."""
    stats = {key: value for key, value in window.stats.items() if key != "variants"}
    variants = {role: {key: entry.get(key) for key in (
        "requests", "errors", "error_rate", "p95_ms", "labelled", "accuracy", "versions")}
        for role, entry in (window.stats.get("variants") or {}).items()}
    notes = list(window.notes)
    if not window.stats.get("labelled"):
        notes.append(NO_LABELS)
    return {"current": window.label, "last": window.last, **stats, "variants": variants,
            "notes": sorted(set(notes))}


def promote_winner(model: str, window: LiveWindow, source: str | None) -> dict | None:
    """``serving.ab.promote_if_winner`` on the checked window; an error is reported in
    the result (the check itself stands)."""
    from ..exceptions import MLOpsError
    from ..serving.ab import promote_if_winner

    try:
        return promote_if_winner(model, source=source)  # the gate rule's own window
    except MLOpsError as error:
        return {"promoted": False, "error": str(error)[:500]}
