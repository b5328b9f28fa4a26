"""Feedback labels: validation, storage, and the join onto logged predictions."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.inference import logbook
from mlops_jupyter.inference.log import (
    InferenceLog,
    RequestRecord,
    check_feedback,
    write_records,
)

MODEL = "churn"


def request(request_id, rows, *, age_s=0.0, predictions=None):
    inputs = pd.DataFrame({"x": list(range(rows))})
    return RequestRecord(request_id, time.time() - age_s, MODEL, "champion", "1", "champion",
                         1.0, 200, None, inputs, predictions or [1] * rows)


def labels(url, request_id):
    frame = logbook.read_window(MODEL, url=url)
    return frame[frame.request_id == request_id].sort_values("row")["label"].tolist()


def test_row_labels_whole_request_labels_and_unknown_ids(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [request("three", 3), request("one", 1), request("none", 2)], url=url,
                  feedback=[("three", 0), ("three", 1, 2), ("one", 1), ("nobody", 1),
                            ("one", 0, 5)])  # row 5 of a 1-row request: matches nothing
    assert labels(url, "three") == [0.0, 0.0, 1.0]
    assert labels(url, "one") == [1.0]
    assert all(math.isnan(v) for v in labels(url, "none"))
    assert "nobody" not in set(logbook.read_window(MODEL, url=url)["request_id"])


def test_the_newest_label_wins(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [request("r", 2), request("s", 2)], url=url)
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    journal.add_feedback("r", 1, row=1)   # row-specific first ...
    journal.add_feedback("s", 1)          # whole request first ...
    journal.flush()
    time.sleep(0.01)
    journal.add_feedback("r", 0)          # ... then the whole request: newer, wins everywhere
    journal.add_feedback("s", 0, row=0)   # ... then one row: newer, wins on that row
    journal.add_feedback("s", 1, row=0)   # same flush, later: wins
    journal.close()
    assert labels(url, "r") == [0.0, 0.0]
    assert labels(url, "s") == [1.0, 1.0]


@pytest.mark.parametrize(("label", "expected"), [(1, 1.0), (0.25, 0.25), (True, 1.0),
                                                 ("malignant", "malignant")])
def test_label_types(tmp_path, label, expected):
    url = str(tmp_path)
    write_records(MODEL, [request("r", 1, predictions=[expected])], url=url,
                  feedback=[("r", label)])
    assert labels(url, "r") == [expected]
    stats = logbook.live_stats(logbook.read_window(MODEL, url=url))
    assert stats["labelled"] == 1
    if isinstance(expected, float) and expected != int(expected):
        assert stats["mae"] == 0.0
    else:
        assert stats["accuracy"] == 1.0


def test_feedback_files_keep_label_and_label_json(tmp_path):
    import pyarrow.parquet as pq

    write_records(MODEL, [], url=str(tmp_path), feedback=[("r", "yes"), ("r", 2, 0)])
    [path] = (tmp_path / "feedback" / f"model={MODEL}").rglob("part-*.parquet")
    table = pq.read_table(path)
    assert table.column_names == ["request_id", "row", "label", "label_json", "timestamp"]
    assert table.column("label").to_pylist() == [None, 2.0]
    assert table.column("label_json").to_pylist() == ['"yes"', "2"]
    assert table.column("row").to_pylist() == [None, 0]


def test_labels_arriving_in_a_later_hour_still_join(tmp_path):
    url = str(tmp_path)
    write_records(MODEL, [request("yesterday", 1, age_s=20 * 3600)], url=url,
                  feedback=[("yesterday", 1)])
    assert labels(url, "yesterday") == [1.0]
    window = logbook.read_window(MODEL, url=url, last=logbook.parse_duration("24h"))
    assert window["label"].tolist() == [1.0]


@pytest.mark.parametrize(("request_id", "label", "row"), [
    ("", 1, None), (None, 1, None), ("x" * 201, 1, None), ("r", None, None),
    ("r", [1, 2], None), ("r", float("nan"), None), ("r", {"a": 1}, None), ("r", 1, -1),
    ("r", 1, "0"), ("r", 1, True), ("r", "x" * 1001, None)])
def test_invalid_feedback_is_refused(tmp_path, request_id, label, row):
    with pytest.raises(UsageError):
        check_feedback(request_id, label, row)
    journal = InferenceLog(MODEL, url=str(tmp_path), flush_interval=3600)
    assert journal.add_feedback(request_id, label, row) is False
    assert journal.rejected == 1 and journal.dropped == 0
    journal.close()
    assert journal.written == 0


def test_numpy_labels_are_plain_values():
    import numpy as np

    assert check_feedback("r", np.int64(3), np.int64(1)) == ("r", 3, 1)
    assert check_feedback("r", np.bool_(True)) == ("r", True, None)
