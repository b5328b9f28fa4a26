"""Reading the inference log: windows, partitions read, schema drift, live stats."""

from __future__ import annotations

import datetime as dt
import math
import time

import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.inference import logbook
from mlops_jupyter.inference.log import RequestRecord, hour_partition, write_records

MODEL = "iris"


def record(request_id, x, *, age_s=0.0, variant="champion", version="1", status=200,
           latency_ms=1.0, predictions=None, extra=None):
    inputs = pd.DataFrame({"x": [x], **(extra or {})})
    return RequestRecord(request_id, time.time() - age_s, MODEL, "champion", version, variant,
                         latency_ms, status, None if status < 400 else "failed", inputs,
                         predictions if predictions is not None else [x])


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600),
                                               ("24h", 86400), ("7d", 604800), (" 2h ", 7200)])
def test_parse_duration(text, seconds):
    assert logbook.parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0h", "-1h", "1w", "1.5h", "h", "10", "99999999d", None,
                                  "1h30m"])
def test_parse_duration_refuses(text):
    with pytest.raises(UsageError):
        logbook.parse_duration(text)


def test_missing_or_empty_log_gives_an_empty_frame(tmp_path):
    for url in (str(tmp_path / "nothing"), str(tmp_path)):
        frame = logbook.read_window(MODEL, url=url, last=dt.timedelta(hours=1))
        assert frame.empty
        assert list(frame.columns) == [*logbook.META_COLUMNS, "label"]
    stats = logbook.live_stats(frame)
    assert stats["requests"] == 0 and stats["p50_ms"] is None and stats["variants"] == {}


def test_a_window_reads_only_the_hours_it_overlaps(tmp_path, monkeypatch):
    url = str(tmp_path)
    write_records(MODEL, [record("recent", 1, age_s=60), record("old", 2, age_s=5 * 3600),
                          record("ancient", 3, age_s=30 * 86400)], url=url)
    listed = []
    original = logbook._listdir

    def spy(fs, path):
        listed.append(path)
        return original(fs, path)

    monkeypatch.setattr(logbook, "_listdir", spy)
    frame = logbook.read_window(MODEL, url=url, last=dt.timedelta(minutes=30))
    assert frame["request_id"].tolist() == ["recent"]
    old_date, old_hour = hour_partition(time.time() - 5 * 3600)
    ancient_date, _ = hour_partition(time.time() - 30 * 86400)
    assert not any(path.endswith(f"{old_date}/{old_hour}") for path in listed), listed
    assert not any(f"/{ancient_date}" in path for path in listed), listed

    listed.clear()
    frame = logbook.read_window(MODEL, url=url, last=dt.timedelta(hours=6))
    assert sorted(frame["request_id"]) == ["old", "recent"]
    assert sorted(logbook.read_window(MODEL, url=url)["request_id"]) == ["ancient", "old",
                                                                           "recent"]


def test_columns_that_come_and_go_read_as_null(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [record("a", 1.0, extra={"colour": ["red"]})], url=url)
    write_records(MODEL, [record("b", 2.0, extra={"size": [7]})], url=url)
    frame = logbook.read_window(MODEL, url=url).set_index("request_id")
    assert frame.loc["a", "colour"] == "red" and math.isnan(frame.loc["a", "size"])
    assert frame.loc["b", "size"] == 7 and pd.isna(frame.loc["b", "colour"])


def test_variants_filter_and_feature_names_that_clash(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [record("c", 1, extra={"status": ["clash"], "label": [5]}),
                          record("s", 1, variant="shadow", version="2")], url=url)
    frame = logbook.read_window(MODEL, url=url, variants=("shadow",))
    assert frame["request_id"].tolist() == ["s"]
    frame = logbook.read_window(MODEL, url=url, variants=("champion",))
    assert frame["status"].tolist() == [200]
    assert frame["input.status"].tolist() == ["clash"]  # kept prefixed: no clash with meta
    assert frame["input.label"].tolist() == [5] and math.isnan(frame["label"].iloc[0])


def test_an_unreadable_file_is_skipped(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [record("good", 1)], url=url)
    [folder] = (tmp_path / "predictions").glob("*/*/*")
    (folder / "part-1-1-1.parquet").write_bytes(b"not parquet")
    (folder / ".part-1-1-2.parquet.tmp").write_bytes(b"half a file")
    assert logbook.read_window(MODEL, url=url)["request_id"].tolist() == ["good"]


def hand_made_frame():
    """Four champion requests (one of two rows), one challenger, one shadow copy."""
    rows = []
    for rid, variant, version, latency, status, n, predictions, labels in [
        ("a", "champion", "1", 10.0, 200, 2, [1, 0], [1, 1]),
        ("b", "champion", "1", 20.0, 200, 1, [1], [1]),
        ("c", "champion", "2", 30.0, 500, 1, [None], [None]),
        ("d", "champion", "2", 40.0, 200, 1, [0], [None]),
        ("e", "challenger", "3", 50.0, 200, 1, [1], [0]),
        ("a", "shadow", "3", 99.0, 200, 1, [1], [1]),
    ]:
        for row in range(n):
            rows.append({"request_id": rid, "row": row, "variant": variant, "version": version,
                         "latency_ms": latency, "status": status,
                         "error": "boom" if status >= 400 else None,
                         "timestamp": pd.Timestamp("2026-01-01", tz="UTC")
                         + pd.Timedelta(seconds=ord(rid) - ord("a")),
                         "prediction": math.nan if predictions[row] is None
                         else float(predictions[row]),
                         "label": math.nan if labels[row] is None else float(labels[row])})
    return pd.DataFrame(rows)


def test_live_stats_count_requests_not_rows():
    stats = logbook.live_stats(hand_made_frame())
    # totals: the 5 answered requests (a, b, c, d, e), not the shadow's copy nor a's 2nd row
    assert stats["requests"] == 5 and stats["errors"] == 1 and stats["error_rate"] == 0.2
    assert stats["p50_ms"] == 30.0
    assert stats["p95_ms"] == pytest.approx(48.0)  # numpy linear: 40 + 0.8 * 10
    assert stats["p99_ms"] == pytest.approx(49.6)
    assert stats["rps"] == pytest.approx(5 / 4)  # requests over the 4 s from first to last
    # labelled rows of successful requests: a0 (1=1), a1 (0!=1), b (1=1), e (1!=0)
    assert stats["labelled"] == 4 and stats["accuracy"] == 0.5
    assert stats["mae"] is None
    champion = stats["variants"]["champion"]
    assert champion["requests"] == 4 and champion["errors"] == 1
    assert champion["error_rate"] == 0.25 and champion["p50_ms"] == 25.0
    assert champion["accuracy"] == pytest.approx(2 / 3) and champion["versions"] == ["1", "2"]
    assert stats["variants"]["challenger"]["accuracy"] == 0.0
    shadow = stats["variants"]["shadow"]
    assert shadow["requests"] == 1 and shadow["p99_ms"] == 99.0 and shadow["rps"] is None
    assert logbook.live_stats(hand_made_frame(), window_s=10)["rps"] == 0.5


def test_live_stats_of_a_regressor_give_errors_not_accuracy():
    frame = pd.DataFrame({"request_id": ["a", "b"], "row": [0, 0], "variant": "champion",
                          "version": "1", "latency_ms": [1.0, 2.0], "status": 200,
                          "error": None, "timestamp": pd.Timestamp("2026-01-01", tz="UTC"),
                          "prediction": [1.5, 2.5], "label": [1.0, 4.5]})
    stats = logbook.live_stats(frame)
    assert stats["accuracy"] is None
    assert stats["mae"] == pytest.approx(1.25)
    assert stats["rmse"] == pytest.approx(math.sqrt((0.25 + 4) / 2))


def test_live_stats_with_class_names():
    frame = hand_made_frame().head(3)
    frame["prediction"] = ["cat", "dog", "cat"]
    frame["label"] = ["cat", "cat", math.nan]
    assert logbook.live_stats(frame)["accuracy"] == 0.5


def test_last_and_variants_also_take_strings(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [record("new", 1, age_s=10), record("old", 1, age_s=7200),
                          record("c", 1, variant="challenger")], url=url)
    frame = logbook.read_window(MODEL, url=url, last="1h", variants="champion")
    assert frame["request_id"].tolist() == ["new"]
    with pytest.raises(UsageError):
        logbook.read_window(MODEL, url=url, last="soon")
