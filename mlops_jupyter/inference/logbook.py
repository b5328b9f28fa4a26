"""Reading the inference log back: a time window as a frame, feedback joined, live stats.

Only the ``date=/hour=`` folders that overlap the window are listed and read (never the
whole history). Files whose columns differ (a feature added or gone) read as one frame
with the missing values null. Labels join by ``(request_id, row)``; a label without a
row applies to every row of its request; the newest label wins.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
import time
from typing import Any

from .. import names
from ..exceptions import UsageError
from .log import (
    DATA_FILE,
    FEEDBACK,
    INPUT_PREFIX,
    PREDICTIONS,
    model_partition,
    open_root,
)

log = logging.getLogger(__name__)

#: Columns of :func:`read_window` before the features (``label`` comes last).
META_COLUMNS = ("request_id", "row", "timestamp", "model", "alias", "version", "variant",
                "latency_ms", "status", "error", "prediction")
_DURATION = re.compile(r"^\s*([0-9]{1,7})\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_DURATION = dt.timedelta(days=3660)


def parse_duration(text: str) -> dt.timedelta:
    """``"30s"``, ``"15m"``, ``"1h"``, ``"24h"``, ``"7d"`` as a timedelta.

    Raises:
        UsageError: anything else (including zero and more than ten years).
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise UsageError("a duration is a positive number followed by s, m, h or d "
                         "(e.g. 15m, 24h, 7d)")
    value = dt.timedelta(seconds=int(match.group(1)) * _UNIT_S[match.group(2)])
    if value > MAX_DURATION:
        raise UsageError("a duration must be at most 3660d")
    return value


def empty_frame():
    """The frame of a window without requests: the meta columns and ``label``."""
    import pandas as pd

    frame = pd.DataFrame({name: pd.Series(dtype="object") for name in META_COLUMNS})
    frame["timestamp"] = pd.Series(dtype="datetime64[us, UTC]")
    frame["label"] = pd.Series(dtype="float64")
    return frame


def _partitions(fs, base: str, start: float | None) -> list[str]:
    """Hour folders under ``base`` that may hold rows at or after ``start``."""
    first = (dt.datetime.fromtimestamp(start, dt.timezone.utc)
             .replace(minute=0, second=0, microsecond=0) if start is not None else None)
    folders = []
    for date_dir in sorted(_listdir(fs, base)):
        name = date_dir.rsplit("/", 1)[-1]
        if not name.startswith("date="):
            continue
        try:
            day = dt.datetime.strptime(name[5:], "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
        if first is not None and day + dt.timedelta(days=1) <= first:
            continue
        for hour_dir in sorted(_listdir(fs, date_dir)):
            hour = hour_dir.rsplit("/", 1)[-1]
            if not (hour.startswith("hour=") and names.is_decimal(hour[5:])):
                continue
            if first is None or day + dt.timedelta(hours=int(hour[5:])) >= first:
                folders.append(hour_dir)
    return folders


def _listdir(fs, path: str) -> list[str]:
    try:
        return [entry.rstrip("/") for entry in fs.ls(path, detail=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _read(fs, base: str, start: float | None):
    """All rows of the data files under ``base`` from ``start``'s hour on, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for folder in _partitions(fs, base, start):
        for path in sorted(_listdir(fs, folder)):
            if not DATA_FILE.match(path.rsplit("/", 1)[-1]):
                continue
            try:
                with fs.open(path, "rb") as stream:
                    table = pq.read_table(stream)
            except FileNotFoundError:  # merged away between listing and reading
                continue
            except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
                log.warning("inference log: skipping unreadable %s: %s",
                            path.rsplit("/", 1)[-1], exc)
                continue
            if table.num_rows:
                tables.append(table)
    if not tables:
        return None
    try:  # one conversion for all files; columns missing from some files become null
        return pa.concat_tables(tables, promote_options="permissive").to_pandas()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        import pandas as pd  # a column whose type changed between files: pandas unifies

        return pd.concat([t.to_pandas() for t in tables], ignore_index=True, sort=False)


def _decode(texts, numbers=None):
    """Values of a ``*_json`` column: float64 when all are numbers or bools, else Python
    objects. ``numbers`` (the float64 twin column) is used as is when it covers every
    value: no JSON parsing for numeric predictions and labels."""
    import pandas as pd

    if numbers is not None and bool((numbers.notna() == texts.notna()).all()):
        return numbers.astype("float64")
    values = [json.loads(v) if isinstance(v, str) else None for v in texts]
    if all(v is None or isinstance(v, (int, float)) for v in values):
        return pd.Series([math.nan if v is None else float(v) for v in values],
                         index=texts.index, dtype="float64")
    return pd.Series([math.nan if v is None else v for v in values], index=texts.index,
                     dtype="object")


def read_window(model: str, *, last: dt.timedelta | str | None = None, url: str | None = None,
                variants: tuple[str, ...] | str | None = None):
    """The logged requests of ``model`` over the ``last`` period (None: all), as a frame.

    Args:
        model: the registered model's name.
        last: how far back from now (None: the whole log; a string such as ``"1h"`` is
            read with :func:`parse_duration`).
        url: the log's root URL (default: the home's inference log).
        variants: keep only these roles (``champion``, ``challenger``, ``shadow``; one
            role may be given as a string).

    Returns:
        One row per input row: :data:`META_COLUMNS`, the features (without their
        ``input.`` prefix, unless that would clash with a meta column) and ``label``
        (NaN without feedback). ``prediction`` and ``label`` are float64 when every
        value is a number, else Python objects (e.g. class names). An empty or missing
        log gives :func:`empty_frame`.
    """
    import pandas as pd

    if isinstance(last, str):
        last = parse_duration(last)
    if isinstance(variants, str):
        variants = (variants,)
    fs, root = open_root(url)
    root = root.rstrip("/")
    start = time.time() - last.total_seconds() if last is not None else None
    frame = _read(fs, f"{root}/{PREDICTIONS}/{model_partition(model)}", start)
    if frame is None:
        return empty_frame()
    if start is not None:
        frame = frame[frame["timestamp"] >= pd.Timestamp(start, unit="s", tz="UTC")]
    if variants is not None:
        frame = frame[frame["variant"].isin(list(variants))]
    if frame.empty:
        return empty_frame()
    frame = frame.drop_duplicates(["request_id", "row", "variant"])
    frame = frame.sort_values("timestamp", kind="stable").reset_index(drop=True)
    frame["prediction"] = _decode(frame["prediction_json"], frame["prediction"])
    frame = frame.drop(columns=["prediction_json"])
    frame["label"] = _labels(frame, _read(fs, f"{root}/{FEEDBACK}/{model_partition(model)}",
                                          start))
    renames = {}
    for column in frame.columns:
        if isinstance(column, str) and column.startswith(INPUT_PREFIX):
            short = column[len(INPUT_PREFIX):]
            if short not in META_COLUMNS and short != "label" and short not in frame.columns:
                renames[column] = short
    frame = frame.rename(columns=renames)
    for column in META_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    features = [c for c in frame.columns if c not in META_COLUMNS and c != "label"]
    return frame[list(META_COLUMNS) + features + ["label"]]


def _labels(frame, feedback):
    """The label of each row of ``frame`` (newest of row-specific and whole-request)."""
    import pandas as pd

    if feedback is None or feedback.empty:
        return pd.Series(math.nan, index=frame.index, dtype="float64")
    feedback = feedback.reset_index(drop=True)
    feedback["order"] = range(len(feedback))
    feedback = feedback.sort_values(["timestamp", "order"], kind="stable")
    keys = pd.DataFrame({"request_id": frame["request_id"].values,
                         "row": frame["row"].astype("float64").values})
    whole = feedback[feedback["row"].isna()].drop_duplicates("request_id", keep="last")
    per_row = feedback[feedback["row"].notna()].copy()
    per_row["row"] = per_row["row"].astype("float64")
    per_row = per_row.drop_duplicates(["request_id", "row"], keep="last")
    columns = ["label", "label_json", "timestamp"]
    a = keys.merge(per_row[["request_id", "row", *columns]], on=["request_id", "row"],
                   how="left")
    b = keys.merge(whole[["request_id", *columns]], on="request_id", how="left")
    use_whole = a["timestamp"].isna() | (b["timestamp"].notna()
                                         & (b["timestamp"] > a["timestamp"]))
    texts = a["label_json"].where(~use_whole, b["label_json"])
    numbers = a["label"].where(~use_whole, b["label"])
    texts.index = numbers.index = frame.index
    return _decode(texts, numbers)


# --- live statistics ----------------------------------------------------------------------


def _summary(frame, window_s: float | None) -> dict[str, Any]:
    import numpy as np

    requests = frame.drop_duplicates(["request_id", "variant"])
    count = len(requests)
    errors = int(((requests["status"].astype("float64") >= 400)
                  | requests["error"].notna()).sum()) if count else 0
    latency = requests["latency_ms"].astype("float64").dropna().to_numpy()
    stats: dict[str, Any] = {"requests": count, "errors": errors,
                             "error_rate": errors / count if count else 0.0}
    for name, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
        stats[name] = float(np.percentile(latency, q)) if len(latency) else None
    stats["rps"] = _rps(requests, window_s)
    stats.update(_quality(frame))
    return stats


def _rps(requests, window_s: float | None) -> float | None:
    if window_s:
        return len(requests) / window_s
    if len(requests) < 2:
        return None
    span = (requests["timestamp"].max() - requests["timestamp"].min()).total_seconds()
    return len(requests) / span if span > 0 else None


def _quality(frame) -> dict[str, Any]:
    """``labelled``, ``accuracy`` and, for continuous predictions, ``mae``/``rmse``."""
    import numpy as np

    ok = frame[(frame["status"].astype("float64") < 400) & frame["label"].notna()
               & frame["prediction"].notna()]
    result: dict[str, Any] = {"labelled": len(ok), "accuracy": None, "mae": None,
                              "rmse": None}
    if ok.empty:
        return result
    predictions, labels = ok["prediction"], ok["label"]
    try:
        p, y = predictions.astype("float64").to_numpy(), labels.astype("float64").to_numpy()
    except (TypeError, ValueError):
        same = [str(a) == str(b) for a, b in zip(predictions, labels)]
        result["accuracy"] = float(np.mean(same))
        return result
    if np.all(np.isclose(p, np.round(p))):  # class labels (ints, bools)
        result["accuracy"] = float(np.mean(np.isclose(p, y, rtol=1e-9, atol=1e-9)))
    else:
        result["mae"] = float(np.mean(np.abs(p - y)))
        result["rmse"] = float(np.sqrt(np.mean((p - y) ** 2)))
    return result


def live_stats(frame, *, window_s: float | None = None) -> dict[str, Any]:
    """Traffic, latency, errors and live accuracy of a :func:`read_window` frame.

    Requests, errors and latencies count once per request (not per row); a shadow's
    copies are left out of the totals when answered traffic is present (they are in
    ``variants["shadow"]``). Accuracy is over labelled rows of successful requests
    (prediction == label); for continuous predictions it is None and ``mae``/``rmse``
    are given instead.

    Args:
        frame: rows as :func:`read_window` returns them.
        window_s: the window's length, to give ``rps`` as requests / window; default
            requests over the time between the first and the last request.

    Returns:
        ``{requests, errors, error_rate, p50_ms, p95_ms, p99_ms, rps, labelled,
        accuracy, mae, rmse, variants: {role: {same keys, versions: [...]}}}``.
    """
    if frame is None or len(frame) == 0:
        frame = empty_frame()
    answered = frame[frame["variant"] != "shadow"]
    stats = _summary(answered if len(answered) else frame, window_s)
    stats["variants"] = {}
    for role in sorted(frame["variant"].dropna().unique()):
        part = frame[frame["variant"] == role]
        entry = _summary(part, window_s)
        entry["versions"] = sorted({str(v) for v in part["version"].dropna()})
        stats["variants"][role] = entry
    return stats
