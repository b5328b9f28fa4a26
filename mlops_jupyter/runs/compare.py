"""Compare runs side by side: fetched in bulk, answered columnar.

:func:`compare` reads the runs with a few ``search_runs`` calls
(``attributes.run_id IN (...)`` in chunks), the step histories with one bulk query per
metric key where the store offers one (the SQL store's ``get_metric_history_bulk``),
else a bounded pool of threads, and returns one list of values per param and metric.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import mlflow_errors, names
from ..exceptions import NotFoundError, UsageError
from ..tracking import store
from . import sql_bulk
from .comparison_contracts import MAX_COMPARE_RUNS, CompareRequest, Comparison

#: Run ids per ``search_runs`` call (a filter of this many ids stays well under limits).
SEARCH_CHUNK = 200
#: Points kept per history series, and rows read per metric key at most.
MAX_POINTS = 200
MAX_HISTORY_ROWS = 200_000
#: Without a bulk history query: histories of at most this many runs, this many threads.
MAX_THREADED_RUNS = 100
THREADS = 8
#: Metric names whose smaller values are better.
LOWER_IS_BETTER = re.compile(r"(loss|error|err|rmse|mse|mae|mape|perplexity|latency|"
                             r"duration|time|cost|wer|cer)(_|$|\b)", re.IGNORECASE)
HIGHER_IS_BETTER = re.compile(r"(acc|accuracy|auc|f1|precision|recall|r2|score|ap|map|"
                              r"ndcg|iou|dice|bleu|rouge)(_|$|\b)", re.IGNORECASE)


def short(value: str, limit: int = 20) -> str:
    """``value`` shortened for a one-line message."""
    return value if len(value) <= limit else value[:limit - 1] + "…"


def higher_is_better(key: str) -> bool | None:
    """A guess from the metric's name: False for losses and errors, True for scores,
    None when the name says nothing."""
    last = key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    if LOWER_IS_BETTER.search(last):
        return False
    if HIGHER_IS_BETTER.search(last):
        return True
    return None


def check_run_ids(run_ids: list[str], *, least: int = 2) -> list[str]:
    """The run ids, checked: well formed, distinct, ``least`` to 1000 of them.

    Raises:
        UsageError: a malformed id, a repeated one, too few or too many.
    """
    if len(run_ids) > MAX_COMPARE_RUNS:
        raise UsageError(f"compare takes at most {MAX_COMPARE_RUNS} runs, not {len(run_ids)}")
    if len(run_ids) < least:
        raise UsageError(f"compare takes at least {least} runs")
    seen: set[str] = set()
    for run_id in run_ids:
        if not names.is_run_id(run_id):
            raise UsageError(f"{short(str(run_id))!r} is not a run id (letters, digits, "
                             "'-' and '_', at most 64)")
        if run_id in seen:
            raise UsageError(f"run {short(run_id)} is listed twice")
        seen.add(run_id)
    return run_ids


def fetch_runs(client, run_ids: list[str]) -> list[Any]:
    """The MLflow runs of ``run_ids``, in that order, read in bulk.

    Raises:
        NotFoundError: a run id the store does not know (the first one named).
    """
    found: dict[str, Any] = {}
    bulk_store = sql_bulk.sql_store(client)
    try:
        if bulk_store is not None:
            found = sql_bulk.read_runs(bulk_store, run_ids)
        else:
            found = _search_runs(client, run_ids)
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot read the runs") from exc
    for run_id in run_ids:
        if run_id not in found:
            raise NotFoundError(f"run {short(run_id)} does not exist")
    return [found[run_id] for run_id in run_ids]


def _search_runs(client, run_ids: list[str]) -> dict[str, Any]:
    """The runs, through the public API: ``search_runs`` with ``run_id IN (...)``."""
    from mlflow.entities import ViewType

    found: dict[str, Any] = {}
    experiment_ids = _experiment_ids(client)
    for start in range(0, len(run_ids), SEARCH_CHUNK):
        chunk = run_ids[start:start + SEARCH_CHUNK]
        quoted = ", ".join(f"'{run_id}'" for run_id in chunk)
        page = client.search_runs(
            experiment_ids=experiment_ids, filter_string=f"attributes.run_id IN ({quoted})",
            run_view_type=ViewType.ALL, max_results=len(chunk))
        for run in page:
            found[run.info.run_id] = run
    return found


def _experiment_ids(client) -> list[str]:
    from mlflow.entities import ViewType

    ids, token = [], None
    while True:
        page = client.search_experiments(view_type=ViewType.ALL, page_token=token)
        ids.extend(experiment.experiment_id for experiment in page)
        token = page.token
        if not token:
            return ids


def summary(run) -> dict[str, Any]:
    """The few fields that name a run in a comparison or diff."""
    info = run.info
    return {"run_id": info.run_id, "run_name": info.run_name,
            "experiment_id": info.experiment_id, "status": info.status,
            "start_time": info.start_time}


def compare(request: CompareRequest) -> Comparison:
    """Compare the runs of ``request`` (see :class:`CompareRequest`).

    Raises:
        UsageError: bad run ids, a baseline not among them, both group_by and
            group_except; NotFoundError: an unknown run.
    """
    run_ids = check_run_ids(list(request.run_ids))
    if request.group_by is not None and request.group_except is not None:
        raise UsageError("give group_by or group_except, not both")
    baseline_id = request.baseline or run_ids[0]
    if baseline_id not in run_ids:
        raise UsageError(f"baseline {short(baseline_id)} is not among the compared runs")
    baseline = run_ids.index(baseline_id)
    client = store.client()
    runs = fetch_runs(client, run_ids)
    params = _param_columns(runs)
    metrics = _metric_columns(runs, baseline)
    histories = _histories(client, runs, [m["key"] for m in metrics]) if request.histories else []
    group_keys = _group_keys(request, params)
    groups = _groups(runs, params, metrics, group_keys) if group_keys is not None else []
    return Comparison.model_validate({
        "runs": [summary(run) for run in runs], "baseline": baseline, "params": params,
        "metrics": metrics, "histories": histories, "group_keys": group_keys or [],
        "groups": groups})


def _param_columns(runs) -> list[dict[str, Any]]:
    keys = sorted({key for run in runs for key in run.data.params})
    columns = []
    for key in keys:
        values = [run.data.params.get(key) for run in runs]
        columns.append({"key": key, "values": values, "differs": len(set(values)) > 1})
    columns.sort(key=lambda column: not column["differs"])  # stable: differing first
    return columns


def _metric_columns(runs, baseline: int) -> list[dict[str, Any]]:
    keys = sorted({key for run in runs for key in run.data.metrics})
    columns = []
    for key in keys:
        values = [_finite(run.data.metrics.get(key)) for run in runs]
        base = values[baseline]
        deltas = [None if value is None or base is None else value - base for value in values]
        direction = higher_is_better(key)
        best = None
        present = [(value, index) for index, value in enumerate(values) if value is not None]
        if present and direction is not None:
            best = (max if direction else min)(present)[1]
        columns.append({"key": key, "values": values, "deltas": deltas, "best": best,
                        "higher_is_better": direction})
    return columns


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _histories(client, runs, keys: list[str]) -> list[dict[str, Any]]:
    index = {run.info.run_id: position for position, run in enumerate(runs)}
    bulk_store = sql_bulk.sql_store(client)
    read: dict[str, dict[str, list[tuple[int, float]]]] = {}
    try:
        if bulk_store is not None:
            read = sql_bulk.read_histories(bulk_store, list(index), keys, MAX_HISTORY_ROWS)
        else:
            for key in keys:
                holders = [run.info.run_id for run in runs if key in run.data.metrics]
                read[key] = _threaded_points(client, holders[:MAX_THREADED_RUNS], key)
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot read metric histories") from exc
    histories = []
    for key in keys:
        points = read.get(key, {})
        series = []
        for run_id, rows in points.items():
            if len(rows) > 1:
                steps, values = _downsample(rows)
                series.append({"run_index": index[run_id], "steps": steps, "values": values})
        if series:
            series.sort(key=lambda item: item["run_index"])
            histories.append({"key": key, "series": series})
    return histories


def _threaded_points(client, run_ids: list[str], key: str) -> dict[str, list[tuple[int, float]]]:
    def history(run_id: str) -> tuple[str, list[tuple[int, float]]]:
        return run_id, [(m.step, m.value) for m in client.get_metric_history(run_id, key)]

    with ThreadPoolExecutor(THREADS) as pool:
        return dict(pool.map(history, run_ids))


def _downsample(rows: list[tuple[int, float]]) -> tuple[list[int], list[float]]:
    # The last value logged at a step wins, as in MLflow's own charts.
    by_step: dict[int, float] = {}
    for step, value in rows:
        if math.isfinite(value):
            by_step[step] = value
    steps = sorted(by_step)
    if len(steps) > MAX_POINTS:
        stride = (len(steps) - 1) / (MAX_POINTS - 1)
        steps = [steps[round(i * stride)] for i in range(MAX_POINTS)]
    return steps, [by_step[step] for step in steps]


def _group_keys(request: CompareRequest, params: list[dict[str, Any]]) -> list[str] | None:
    if request.group_by is not None:
        known = {column["key"] for column in params}
        for key in request.group_by:
            if key not in known:
                raise UsageError(f"group_by: no compared run has a param {short(key, 60)!r}")
        return list(dict.fromkeys(request.group_by))
    if request.group_except is not None:
        excluded = set(request.group_except)
        return [column["key"] for column in params
                if column["differs"] and column["key"] not in excluded]
    return None


def _groups(runs, params, metrics, keys: list[str]) -> list[dict[str, Any]]:
    columns = {column["key"]: column["values"] for column in params}
    members: dict[tuple, list[int]] = {}
    for position in range(len(runs)):
        members.setdefault(tuple(columns[key][position] for key in keys), []).append(position)
    groups = []
    for values, indices in members.items():
        aggregates = {}
        for metric in metrics:
            present = [metric["values"][i] for i in indices if metric["values"][i] is not None]
            if present:
                aggregates[metric["key"]] = _aggregate(present)
        groups.append({"values": dict(zip(keys, values, strict=True)), "n": len(indices),
                       "run_indices": indices, "metrics": aggregates})
    groups.sort(key=lambda group: (-group["n"], [str(v) for v in group["values"].values()]))
    return groups


def _aggregate(values: list[float]) -> dict[str, Any]:
    n = len(values)
    mean = math.fsum(values) / n
    # the sample standard deviation; one run has none (not 0: nothing varied yet)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {"mean": mean, "std": std, "n": n}
