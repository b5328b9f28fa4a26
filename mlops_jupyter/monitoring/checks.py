"""One drift check end to end: verdicts, the MLflow record, alerts and the retrain loop.

Used by ``mlops drift check``, ``%mlops drift``, the scheduler (monitor targets) and
the server. What gets stored is described in :mod:`.records`. :func:`run_check` checks
a registered model's current data; :func:`compare` compares two datasets, no model.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .. import mlflow_errors
from ..exceptions import UsageError
from ..tables import SUFFIXES, read_table
from ..tracking import capture
from . import records
from .columns import column_counts
from .spec import MonitorSpec

#: How long a two-dataset check waits for its record to reach the store; after that
#: the record stays in the tracking journal and is written when the store answers.
RECORD_TIMEOUT_S = 30.0

DEFAULT_ALIAS = "champion"


def read_frame(path: str | Path):
    """A DataFrame from a .csv or .parquet file, or UsageError in one line."""
    file = Path(path)
    if file.suffix.lower() in SUFFIXES and not file.is_file():
        raise UsageError(f"no data file {file.name}")
    return read_table(file)


def _data_path(path: str | os.PathLike) -> Path:
    """A data file that exists and has a suffix we read, or UsageError in one line."""
    file = Path(path)
    if file.suffix.lower() not in SUFFIXES:
        raise UsageError(f"{file.name}: expected a .csv or .parquet file")
    if not file.is_file():
        raise UsageError(f"no data file {file.name}")
    return file


def _frame(data) -> tuple[Any, str]:
    """``(DataFrame, label)`` of a frame (label ``DataFrame``) or a file path (its name);
    ``(None, "")`` for None."""
    if data is None:
        return None, ""
    if isinstance(data, (str, os.PathLike)):
        return read_frame(data), Path(data).name
    return data, "DataFrame"


def _options(spec: MonitorSpec):
    from .drift import DriftOptions

    try:
        return DriftOptions(
            drift_share=spec.drift_share,
            per_column_method={c: o["method"] for c, o in spec.columns.items() if "method" in o},
            per_column_threshold={c: o["threshold"] for c, o in spec.columns.items()
                                  if "threshold" in o})
    except TypeError as error:
        raise UsageError(f"columns: {error}") from None


def _performance(spec: MonitorSpec, profile, frame, version) -> dict[str, float]:
    """Metrics named by ``metric_below`` rules, when the labels are in the data."""
    metrics = {next(iter(rule.value)) for rule in spec.rules
               if rule.condition == "metric_below"}
    target = profile.target_column or "target"
    if not metrics or target not in frame.columns:
        return {}
    from ..registry.safety import load_pyfunc
    from ..registry.scores import score

    model = load_pyfunc(f"models:/{version.name}/{version.version}")  # checks the source
    features = frame.drop(columns=[c for c in (target, profile.prediction_column)
                                   if c and c in frame.columns])
    predictions = model.predict(features)
    return {metric: score(predictions, frame[target], metric) for metric in sorted(metrics)}


def _names(columns: list[str]) -> str:
    """A JSON list of column names that fits in a tag (MLflow caps values)."""
    names = list(columns)
    while names and len(json.dumps(names)) > 7000:
        names.pop()
    return json.dumps(names)


def _log(client, run_id: str, result: dict[str, Any], performance: dict[str, float],
         report_html: str | None, meta: dict[str, Any],
         extra: dict[str, float] | None = None) -> None:
    from mlflow.entities import Metric

    timestamp = int(meta["time"] * 1000)
    values = {**_metric_values(result, performance), **(extra or {})}
    metrics = [Metric(key, value, timestamp, 0) for key, value in values.items()]
    for start in range(0, len(metrics), 900):  # MLflow's batch limit is 1000
        client.log_batch(run_id, metrics=metrics[start:start + 900])
    client.log_text(run_id, json.dumps({**result, "meta": meta}, indent=1),
                    records.RESULT_ARTIFACT)
    if report_html:
        client.log_text(run_id, report_html, records.REPORT_ARTIFACT)


def _metric_values(result: dict[str, Any], performance: dict[str, float]) -> dict[str, float]:
    """The metrics a drift check records, by name."""
    counts = column_counts(result)  # the one counting rule (.columns)
    values = {"drift_share": result.get("share_of_drifted_columns"),
              "drift_share_threshold": result.get("drift_share"),
              "dataset_drift": None if result.get("dataset_drift") is None
              else float(result["dataset_drift"]),
              "drifted_columns": counts.drifted,
              "checked_columns": counts.checked,
              "current_rows": result.get("current_rows")}
    for column, verdict in (result.get("columns") or {}).items():
        if verdict.get("score") is not None:
            values[records.metric_key("drift_score", column)] = verdict["score"]
            values[records.metric_key("drifted", column)] = float(bool(verdict["drifted"]))
    prediction = result.get("prediction") or {}
    if prediction.get("score") is not None:
        values["prediction_drift_score"] = prediction["score"]
    values.update({f"performance/{k}": v for k, v in performance.items()})
    return {key: float(value) for key, value in values.items() if value is not None}


def run_check(spec: MonitorSpec, *, current=None, reference=None, report: bool = True,
              retrain: bool = True, source: str | None = None,
              promote: bool = True) -> dict[str, Any]:
    """Check ``spec.model``'s current data for drift and act on the rules.

    Args:
        spec: what to check (model, current data, options, rules, retrain plan).
            With ``spec.serving`` (and no ``current``) the current data is the
            endpoint's inference log over ``spec.last`` (see :mod:`.live`).
        current: a DataFrame or .csv/.parquet path to check instead of ``spec.current``.
        reference: a DataFrame or path to use instead of the version's stored profile.
        report: also produce Evidently's HTML report (on a bounded sample).
        retrain: allow a firing rule to start the retrain pipeline.
        source: how the check was started (``cli``, ``schedule``, ``notebook``...).
        promote: on serving data, let a challenger that won on live traffic be
            promoted (``serving.ab.promote_if_winner``; needs a gate ``live:`` rule).

    Returns:
        ``{run_id, model, version, result, alerts, retrain, performance}``; on serving
        data also ``live`` (requests, error rate, latency, accuracy, notes such as
        "no labels yet") and ``live_promotion``.

    Raises:
        UsageError / NotFoundError: bad data, unknown model, no reference profile, no
            request logged in the window, live rules on file data.
    """
    import time

    from ..registry import common
    from ..tracking.store import get_or_create_experiment
    from . import live as live_module
    from .alerts import fire
    from .drift import check_drift
    from .references import build_profile, load_reference
    from .spec import check_live_rules

    version = common.resolve_reference(spec.model, spec.reference_of_model or DEFAULT_ALIAS)
    window = None
    if current is None and spec.current is None and spec.serving:
        window = live_module.read_live(spec)
    else:
        check_live_rules(spec)
        current = spec.current if current is None else current
        if current is None:
            raise UsageError("no current data: give --current FILE or --serving (or "
                             "current: in the monitor file)")
    reference, reference_label = _frame(spec.reference if reference is None else reference)
    profile = build_profile(reference) if reference is not None else load_reference(version)
    if window is not None:
        frame, label = live_module.current_frame(window, profile), window.label
    else:
        frame, label = _frame(current)
    outcome = check_drift(profile, frame, options=_options(spec))
    result = outcome.to_dict()
    performance = live_module.performance(spec, window) if window is not None \
        else _performance(spec, profile, frame, version)
    html = None
    if report:
        from .report import profile_report

        html = profile_report(profile, frame).html
    started = time.time()
    client = common.client()
    with mlflow_errors.translated("cannot record the drift check"):
        experiment_id = get_or_create_experiment(records.EXPERIMENT)
        verdict = result.get("dataset_drift")
        run = client.create_run(experiment_id, run_name=f"{spec.model} v{version.version}",
                                tags={
            records.TAG_KIND: records.KIND, records.TAG_MODEL: spec.model,
            records.TAG_VERSION: str(version.version),
            records.TAG_ALIAS: spec.reference_of_model if spec.reference_of_model
            and not str(spec.reference_of_model).isdigit() else "",
            records.TAG_DATASET_DRIFT: "unknown" if verdict is None else str(verdict).lower(),
            records.TAG_CURRENT: label,
            records.TAG_FINGERPRINT: (capture.fingerprint(frame) or {}).get("hash") or "",
            records.TAG_DRIFTED: _names(outcome.drifted_columns),
            records.TAG_REPORT: "true" if html else "false",
            "mlops.monitor.source": source or "api",
            "mlops.monitor.spec": spec.path.name if spec.path else ""})
        run_id = run.info.run_id
    try:
        meta = {"time": started, "model": spec.model, "version": str(version.version),
                "current": label, "reference": "stored profile" if reference is None
                else "given data"}
        with mlflow_errors.translated("cannot record the drift check"):
            _log(client, run_id, result, performance, html, meta,
                 live_module.live_metrics(window) if window is not None else None)
        alerts = fire(spec, result, performance, run_id, str(version.version), source,
                      None if window is None else window.stats)
        retrained = None
        if retrain and spec.retrain is not None and any(a["retrain"] for a in alerts):
            from .retrain import retrain as start_retrain

            retrained = start_retrain(spec.model, spec.retrain, run_id)
        with mlflow_errors.translated("cannot record the drift check"):
            client.set_tag(run_id, records.TAG_ALERTS, json.dumps(alerts)[:7500])
            client.log_metric(run_id, "alerts", len(alerts))
            if retrained is not None:
                client.set_tag(run_id, records.TAG_RETRAIN, json.dumps(retrained)[:7500])
        promotion = None
        if window is not None and promote:
            promotion = live_module.promote_winner(spec.model, window, source)
            if promotion is not None:
                with mlflow_errors.translated("cannot record the drift check"):
                    client.set_tag(run_id, live_module.TAG_LIVE_PROMOTION,
                                   json.dumps(promotion, default=str)[:7500])
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    client.set_terminated(run_id, "FINISHED")
    data = {"run_id": run_id, "model": spec.model, "version": str(version.version),
            "reference": reference_label or "stored profile", "current": label,
            "result": result, "alerts": alerts, "retrain": retrained,
            "performance": performance}
    if window is not None:
        data.update(live=live_module.summary(window), live_promotion=promotion)
    return data


def check(model: str, current, *, reference=None, report: bool = True,
          source: str | None = None) -> dict[str, Any]:
    """A one-off check without rules: ``model`` is ``NAME[@ALIAS|/VERSION]``; ``current``
    and ``reference`` are DataFrames or .csv/.parquet paths."""
    from ..registry.common import parse_model_reference

    name, ref = parse_model_reference(model)
    return run_check(MonitorSpec(model=name, reference_of_model=ref), current=current,
                     reference=reference, report=report, source=source)



# --- two datasets, no model --------------------------------------------------------------


def compare(reference, current, *, report: bool = True,
            source: str | None = None) -> dict[str, Any]:
    """Compare two datasets for drift, without a registered model.

    The verdicts are those of a model check (Evidently's ``DataDriftPreset`` methods,
    thresholds and dataset rule), computed on every row of both: the reference is
    profiled exactly, never sketched, so scores equal Evidently's. Columns only the
    reference has are listed as excluded, columns only the current data has as
    ignored. The check is recorded as a run of experiment ``mlops-monitoring`` (no
    model tags; ``mlops.monitor.reference`` names the reference).

    Args:
        reference: a DataFrame or a .csv/.parquet path.
        current: a DataFrame or a .csv/.parquet path.
        report: also store Evidently's HTML report (on bounded samples).
        source: how the check was started (``cli``, ``notebook``...).

    Returns:
        ``{run_id, model: None, version: None, reference, current, result, alerts: [],
        retrain: None, performance: {}}`` (``reference``/``current`` are the file
        names, or ``DataFrame``).

    Raises:
        UsageError: a missing or unreadable file, an empty one, no column in common,
            values whose type does not match the reference's.
    """
    import time
    import uuid

    from ..tracking import operations
    from ..tracking.writer import Writer
    from .drift import check_drift

    paths = [_data_path(data) for data in (reference, current)
             if isinstance(data, (str, os.PathLike))]
    labels = [_label(data) for data in (reference, current)]
    started = time.time()
    # The record goes through the tracking journal: its flusher process imports
    # MLflow and creates the run on the other core while this one reads and compares
    # the data (a thread would hold the GIL against the comparison for ~2 s).
    writer = Writer()
    key = uuid.uuid4().hex
    writer.submit(operations.start_run(
        key, records.EXPERIMENT, name=f"{labels[0]} vs {labels[1]}"[:250], parent=None,
        tags={records.TAG_KIND: records.KIND, records.TAG_REFERENCE: labels[0],
              records.TAG_CURRENT: labels[1], "mlops.monitor.source": source or "api"}))
    try:
        if any(path.suffix.lower() == ".parquet" for path in paths):
            try:
                import pandas.io.parquet  # noqa: F401
                import pyarrow.dataset
                import pyarrow.pandas_compat
                import pyarrow.parquet  # noqa: F401
            except ImportError:
                pass  # read_table reports it on the file
        (ref, ref_label), (cur, cur_label) = _read_both(reference, current)
        profile, excluded = _dataset_profile(ref, ref_label, cur, cur_label, report)
        outcome = check_drift(profile, cur)
    except BaseException:
        writer.submit(operations.end_run(key, "FAILED"))
        writer.close()
        raise
    result = outcome.to_dict()
    result["excluded_columns"].update(excluded)
    html = None
    if report:
        from .report import profile_report

        html = profile_report(profile, cur).html
    verdict = result.get("dataset_drift")
    meta = {"time": started, "model": None, "version": None, "current": cur_label,
            "reference": ref_label}
    timestamp = int(started * 1000)
    writer.submit(operations.log(key, metrics={
        name: [(value, timestamp, 0)] for name, value in
        {**_metric_values(result, {}), "alerts": 0.0}.items()}, tags={
        records.TAG_DATASET_DRIFT: "unknown" if verdict is None else str(verdict).lower(),
        records.TAG_FINGERPRINT: (capture.fingerprint(cur) or {}).get("hash") or "",
        records.TAG_DRIFTED: _names(outcome.drifted_columns),
        records.TAG_ALERTS: "[]"}))
    writer.submit(operations.artifact_text(
        key, records.RESULT_ARTIFACT, json.dumps({**result, "meta": meta}, indent=1)))
    if html:
        writer.submit(operations.artifact_text(key, records.REPORT_ARTIFACT, html))
    writer.submit(operations.end_run(key, "FINISHED"))
    written = writer.flush(RECORD_TIMEOUT_S)
    run_id = writer.run_id(key) if written else None
    writer.close()
    return {"run_id": run_id, "model": None, "version": None, "reference": ref_label,
            "current": cur_label, "result": result, "alerts": [], "retrain": None,
            "performance": {}, "recorded": written}


def _label(data) -> str:
    return Path(data).name if isinstance(data, (str, os.PathLike)) else "DataFrame"


def common_errors():
    """MLflow errors while recording a check, as one line of our exception tree."""

    return mlflow_errors.translated("cannot record the drift check")


def _read_both(reference, current) -> list[tuple[Any, str]]:
    """Both datasets as ``(frame, label)``; two files are read side by side."""
    pair = (reference, current)
    for data, what in zip(pair, ("reference", "current")):
        if data is None:
            raise UsageError(f"no {what} data: give both the reference and the current data")
    with ThreadPoolExecutor(2, thread_name_prefix="mlops-read") as pool:
        return list(pool.map(_frame, pair))


def _dataset_profile(ref, ref_label: str, cur, cur_label: str, sample: bool = True):
    """The exact profile of the reference's columns the current data also has, and
    ``{column: reason}`` for the reference's other columns."""
    import pandas as pd

    from .profile import SAMPLE_ROWS, ReferenceProfile

    for frame, label in ((ref, ref_label), (cur, cur_label)):
        if not isinstance(frame, pd.DataFrame):
            raise UsageError(f"{label}: expected a pandas DataFrame or a .csv/.parquet "
                             f"file, not {type(frame).__name__}")
        if len(frame) == 0:
            raise UsageError(f"{label} has no rows")
    present = set(cur.columns)
    shared = [column for column in ref.columns if column in present]
    if not shared:
        names = ", ".join(str(name)[:40] for name in list(ref.columns)[:5])
        raise UsageError(f"{ref_label} and {cur_label} have no column in common "
                         f"(the reference has {names or 'none'}"
                         f"{', ...' if len(ref.columns) > 5 else ''})")
    only = [column for column in ref.columns if column not in present]
    # sketch_size = every row: the profile keeps every distinct value, so each score
    # is computed exactly as Evidently computes it.
    profile = ReferenceProfile.from_frame(ref[shared] if only else ref,
                                          sketch_size=max(len(ref), 100),
                                          sample_rows=SAMPLE_ROWS if sample else 0)
    return profile, {str(column): f"not in {cur_label}" for column in only}
