"""The inference log writer: rows, partitions, durability, back-pressure, fsspec URLs."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest

from mlops_jupyter.inference import logbook
from mlops_jupyter.inference.log import (
    DATA_FILE,
    InferenceLog,
    RequestRecord,
    hour_partition,
    model_partition,
    write_records,
)

MODEL = "breast-cancer"


def record(request_id, inputs=None, predictions=None, *, timestamp=None, variant="champion",
           version="1", status=200, error=None, latency_ms=2.5):
    return RequestRecord(request_id=request_id, timestamp=timestamp or time.time(), model=MODEL,
                         alias="champion", version=version, variant=variant,
                         latency_ms=latency_ms, status=status, error=error, inputs=inputs,
                         predictions=predictions)


def data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def url(tmp_path):
    return str(tmp_path / "inference")


def test_round_trip_keeps_values_types_and_rows(url):
    frame = pd.DataFrame({
        "radius": [1.5, math.nan, 3.0],
        "kind": pd.Categorical(["a", "b", "a"]),
        "flag": [True, False, True],
        "count": [1, 2, 3],
    })
    written = write_records(MODEL, [
        record("multi", frame, np.array([1, 0, 1])),
        record("single", frame.iloc[[1]], [0]),
        record("failed", frame.iloc[[0]], None, status=500, error="model raised ValueError"),
        record("unparseable", None, None, status=400, error="body is not JSON", version=None),
    ], url=url)
    assert written == 4

    rows = logbook.read_window(MODEL, url=url)
    assert list(rows.columns[:11]) == list(logbook.META_COLUMNS)
    assert rows.columns[-1] == "label"
    assert len(rows) == 3 + 1 + 1 + 1
    multi = rows[rows.request_id == "multi"].sort_values("row")
    assert multi["row"].tolist() == [0, 1, 2]
    assert multi["prediction"].tolist() == [1.0, 0.0, 1.0]
    assert multi["radius"].iloc[0] == 1.5 and math.isnan(multi["radius"].iloc[1])
    assert multi["kind"].tolist() == ["a", "b", "a"]
    assert multi["flag"].tolist() == [True, False, True]
    assert multi["count"].tolist() == [1, 2, 3]
    assert (multi["model"] == MODEL).all() and (multi["version"] == "1").all()
    failed = rows[rows.request_id == "failed"].iloc[0]
    assert failed["status"] == 500 and failed["error"] == "model raised ValueError"
    assert math.isnan(failed["prediction"]) and failed["radius"] == 1.5
    bad = rows[rows.request_id == "unparseable"].iloc[0]
    assert bad["row"] == 0 and bad["version"] is None and math.isnan(bad["radius"])
    assert rows["label"].isna().all()
    assert str(rows["timestamp"].dtype) == "datetime64[us, UTC]"


def test_string_and_continuous_predictions(url):
    inputs = pd.DataFrame({"x": [0.5, 1.5]})
    write_records(MODEL, [record("classes", inputs, np.array(["benign", "malignant"]))],
                  url=url)
    write_records("regressor", [RequestRecord("r", time.time(), "regressor", "champion", "2",
                                              "champion", 1.0, 200, None, inputs,
                                              [np.float64(0.25), 1.75])], url=url)
    assert logbook.read_window(MODEL, url=url)["prediction"].tolist() == ["benign", "malignant"]
    assert logbook.read_window("regressor", url=url)["prediction"].tolist() == [0.25, 1.75]


def test_rows_go_to_the_hour_partition_of_their_timestamp(url, tmp_path):
    now = time.time()
    earlier = now - 3 * 3600
    write_records(MODEL, [record("now", pd.DataFrame({"x": [1]}), [1], timestamp=now),
                          record("earlier", pd.DataFrame({"x": [2]}), [0], timestamp=earlier)],
                  url=url)
    base = tmp_path / "inference" / "predictions" / f"model={MODEL}"
    folders = sorted(str(p.relative_to(base)) for p in base.glob("date=*/hour=*"))
    expected = sorted("/".join(hour_partition(t)) for t in (now, earlier))
    assert folders == expected
    for folder in base.glob("date=*/hour=*"):
        names = [p.name for p in folder.iterdir()]
        assert len(names) == 1 and DATA_FILE.match(names[0]), names


def test_graceful_close_loses_nothing(url):
    journal = InferenceLog(MODEL, url=url, flush_interval=0.05)
    for index in range(2000):
        assert journal.append(record(f"r{index}", pd.DataFrame({"x": [index]}), [index % 2]))
        if index % 500 == 0:
            time.sleep(0.06)  # let some flushes happen while appending
    journal.close()
    assert journal.dropped == 0 and journal.written == 2000
    rows = logbook.read_window(MODEL, url=url)
    assert len(rows) == 2000 and rows["request_id"].nunique() == 2000
    assert sorted(rows["x"].tolist()) == list(range(2000))


def test_full_queue_drops_and_counts_without_blocking(url):
    journal = InferenceLog(MODEL, url=url, flush_interval=3600, max_queue=10)  # writer idle
    accepted = [journal.append(record(f"r{i}", pd.DataFrame({"x": [i]}), [0])) for i in range(25)]
    assert accepted == [True] * 10 + [False] * 15
    assert journal.add_feedback("r0", 1) is False
    assert journal.dropped == 16
    journal.close()
    assert journal.written == 10
    assert journal.append(record("late", None, None)) is False  # closed: refused, counted
    assert journal.dropped == 17
    assert len(logbook.read_window(MODEL, url=url)) == 10


def test_append_never_raises_on_odd_records(url):
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    assert journal.append(record("odd", inputs="not a frame", predictions=[object()]))
    assert journal.append(record("fine", pd.DataFrame({"x": [1]}), [1]))
    journal.close()
    rows = logbook.read_window(MODEL, url=url)
    assert sorted(rows["request_id"]) == ["fine", "odd"]


def test_files_of_a_process_are_merged_at_close(url, tmp_path):
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    for batch in range(3):
        journal.append(record(f"r{batch}", pd.DataFrame({"x": [batch], f"only{batch}": [1.0]}),
                              [batch]))
        journal.flush()
    root = tmp_path / "inference" / "predictions"
    assert len(data_files(root)) == 3
    journal.close()
    files = data_files(root)
    assert len(files) == 1 and DATA_FILE.match(files[0].name)
    rows = logbook.read_window(MODEL, url=url)
    assert sorted(rows["x"]) == [0, 1, 2]
    assert rows["only1"].notna().sum() == 1  # columns of each part survive the merge


def test_past_hours_are_merged_when_the_hour_changes(url, tmp_path):
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    past = time.time() - 2 * 3600
    for index in range(2):
        journal.append(record(f"old{index}", pd.DataFrame({"x": [index]}), [0], timestamp=past))
        journal.append(record(f"new{index}", pd.DataFrame({"x": [index]}), [0]))
        journal.flush()
    journal._hour = ("date=2000-01-01", "hour=00")  # as if the clock crossed an hour
    journal._step(final=False)
    base = tmp_path / "inference" / "predictions" / f"model={MODEL}"
    old_folder = base.joinpath(*hour_partition(past))
    new_folder = base.joinpath(*hour_partition(time.time()))
    assert len(list(old_folder.iterdir())) == 1  # merged
    assert len(list(new_folder.iterdir())) == 2  # the current hour is still being written
    journal.close()
    assert len(logbook.read_window(MODEL, url=url)) == 4


def test_a_part_left_beside_its_merged_file_is_not_counted_twice(url, tmp_path):
    write_records(MODEL, [record(f"r{i}", pd.DataFrame({"x": [i, i]}), [0, 1]) for i in range(3)],
                  url=url)
    [only] = data_files(tmp_path / "inference" / "predictions")
    duplicate = only.with_name(f"part-{os.getpid()}-1-99.parquet")
    duplicate.write_bytes(only.read_bytes())  # a crash between rename and delete
    assert len(logbook.read_window(MODEL, url=url)) == 6


def test_memory_filesystem_url_works():
    url = f"memory://inference-{uuid.uuid4().hex}"
    write_records(MODEL, [record("m1", pd.DataFrame({"x": [1.0]}), [1])], url=url,
                  feedback=[("m1", 1)])
    fs = fsspec.filesystem("memory")
    found = fs.find(url[len("memory://"):])
    assert any("/predictions/model=breast-cancer/date=" in name for name in found), found
    assert any("/feedback/model=breast-cancer/date=" in name for name in found), found
    rows = logbook.read_window(MODEL, url=url)
    assert rows["label"].tolist() == [1.0]


@pytest.mark.parametrize("hostile", ["../../escape", "/etc/passwd", "a/../../b", "..",
                                     "x\x00y", "model=other/date=2020-01-01"])
def test_hostile_model_names_stay_inside_the_root(tmp_path, hostile):
    root = tmp_path / "inference"
    partition = model_partition(hostile)
    assert "/" not in partition and partition.startswith("model=_")
    assert partition != model_partition("other")
    write_records(hostile, [record("h", pd.DataFrame({"x": [1]}), [1])], url=str(root))
    for path in tmp_path.rglob("*"):
        assert root in path.parents or path == root
    assert logbook.read_window(hostile, url=str(root))["request_id"].tolist() == ["h"]
    assert model_partition(MODEL) == f"model={MODEL}"


def test_a_default_url_is_under_the_home(mlops_home, monkeypatch):
    monkeypatch.delenv("MLOPS_INFERENCE_LOG_URL", raising=False)
    write_records(MODEL, [record("home", pd.DataFrame({"x": [1]}), [1])])
    assert list((mlops_home / "inference" / "predictions").rglob("part-*.parquet"))
    assert logbook.read_window(MODEL)["request_id"].tolist() == ["home"]


CRASHING_WRITER = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from mlops_jupyter.inference.log import InferenceLog, RequestRecord
    url, rate = sys.argv[1], float(sys.argv[2])
    journal = InferenceLog("crash", url=url, flush_interval=0.5)
    frame = pd.DataFrame({"x": [1.0], "y": ["a"]})
    start = time.monotonic()
    count = 0
    while True:
        journal.append(RequestRecord(f"r{count}", time.time(), "crash", "champion", "1",
                                     "champion", 1.0, 200, None, frame, [1]))
        count += 1
        print(count, flush=True)
        delay = start + count / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
""")


def test_kill_9_loses_at_most_the_last_flush_interval(url):
    rate, flush_interval, slack = 200.0, 0.5, 1.0
    process = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, url, str(rate)],
                               stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        appended = 0
        for line in process.stdout:
            appended = int(line)
            if appended >= 600:  # ~3 s of traffic, several flushes
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    rows = logbook.read_window("crash", url=url)  # every file there is readable
    assert rows["request_id"].is_unique
    lost = appended - len(rows)
    assert -5 <= lost <= rate * (flush_interval + slack), (appended, len(rows))
    assert len(rows) > 0


def test_a_busy_partition_is_merged_every_few_files(url, tmp_path, monkeypatch):
    from mlops_jupyter.inference import log as inference_log

    monkeypatch.setattr(inference_log, "MERGE_EVERY", 3)
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    for index in range(7):
        journal.append(record(f"r{index}", pd.DataFrame({"x": [index]}), [0]))
        journal.flush()
        journal._step(final=False)
    folder = tmp_path / "inference" / "predictions"
    assert len(data_files(folder)) == 3  # 3 merged + 3 merged + 1 part
    journal.close()
    assert len(data_files(folder)) == 3  # merged files are not rewritten
    assert sorted(logbook.read_window(MODEL, url=url)["x"]) == list(range(7))


def test_a_column_whose_type_changes_is_kept_as_text(url):
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    journal.append(record("int", pd.DataFrame({"x": [1], "y": [1.0]}), [0]))
    journal.append(record("str", pd.DataFrame({"x": ["one"], "y": [2.0]}), [0]))
    journal.flush()  # one file: mixed within it
    journal.append(record("int2", pd.DataFrame({"x": [2], "y": [3.0]}), [0]))
    journal.flush()  # another file: int64 there
    journal.close()
    assert journal.failed == 0
    frame = logbook.read_window(MODEL, url=url).set_index("request_id")
    assert frame.loc["str", "x"] == "one" and str(frame.loc["int", "x"]) == "1"
    assert frame["y"].tolist() == [1.0, 2.0, 3.0]


def test_an_exit_without_close_still_writes_everything(url):
    script = textwrap.dedent("""
        import sys, time
        import pandas as pd
        from mlops_jupyter.inference.log import InferenceLog, RequestRecord
        journal = InferenceLog("bye", url=sys.argv[1], flush_interval=3600)
        for i in range(50):
            journal.append(RequestRecord(f"r{i}", time.time(), "bye", "champion", "1",
                                         "champion", 1.0, 200, None, pd.DataFrame({"x": [i]}),
                                         [0]))
    """)
    subprocess.run([sys.executable, "-c", script, url], check=True, timeout=120)
    assert len(logbook.read_window("bye", url=url)) == 50


def test_a_bad_url_or_timestamp_is_one_clear_failure(url):
    from mlops_jupyter.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="inference log URL"):
        InferenceLog(MODEL, url="nosuchprotocol://x")
    with pytest.raises(ConfigurationError):
        logbook.read_window(MODEL, url="nosuchprotocol://x")
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    assert journal.append(record("bad-time", None, None, timestamp="yesterday"))
    assert journal.append(record("good", pd.DataFrame({"x": [1]}), [1]))
    journal.close()
    assert journal.failed == 1 and journal.written == 1
    assert logbook.read_window(MODEL, url=url)["request_id"].tolist() == ["good"]


def test_a_stuck_writer_never_blocks_append(url, monkeypatch):
    import threading

    entered, release = threading.Event(), threading.Event()
    original = InferenceLog._write

    def stuck(self, key, table):
        entered.set()
        release.wait(60)  # a hung file system
        return original(self, key, table)

    monkeypatch.setattr(InferenceLog, "_write", stuck)
    journal = InferenceLog(MODEL, url=url, flush_interval=0.01, max_queue=10)
    journal.append(record("first", pd.DataFrame({"x": [0]}), [0]))
    assert entered.wait(60)  # the writer holds "first" and hangs
    accepted = [journal.append(record(f"r{i}", pd.DataFrame({"x": [i]}), [0]))
                for i in range(30)]
    assert accepted == [True] * 10 + [False] * 20 and journal.dropped == 20
    release.set()
    journal.close()
    assert journal.written == 11
    assert len(logbook.read_window(MODEL, url=url)) == 11


def test_numeric_requests_round_trip_exactly(url):
    """Single-row numeric requests (the common case, stacked without pandas.concat)."""
    rng = np.random.default_rng(7)
    values = rng.normal(size=(200, 4))
    values[3, 2] = math.nan
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    for index in range(200):
        frame = pd.DataFrame(values[[index]], columns=["a", "b", "c", "d"])
        journal.append(record(f"n{index}", frame, [float(values[index, 0] > 0)]))
    journal.append(record("ints", pd.DataFrame({"a": [1], "b": [2], "c": [3], "d": [4]}), [1]))
    journal.flush()
    journal.append(record("bools", pd.DataFrame({"a": [True], "b": [False]}), [True]))
    journal.close()
    frame = logbook.read_window(MODEL, url=url).set_index("request_id")
    got = frame.loc[[f"n{i}" for i in range(200)], ["a", "b", "c", "d"]].to_numpy()
    np.testing.assert_array_equal(got, values)  # NaN where NaN, every bit kept
    assert frame.loc["ints", ["a", "b", "c", "d"]].tolist() == [1, 2, 3, 4]
    assert bool(frame.loc["bools", "a"]) is True and bool(frame.loc["bools", "b"]) is False
    assert frame.loc["n0", "prediction"] == float(values[0, 0] > 0)


def test_frames_built_column_by_column_round_trip(url):
    """Frames as the endpoint builds them (a dict of arrays, not copied, sliced per
    request): one block per column, read without interleaving."""
    rng = np.random.default_rng(11)
    batch = pd.DataFrame({"b": rng.integers(0, 9, 6), "a": rng.normal(size=6),
                          "c": rng.normal(size=6)}, copy=False)[["a", "b", "c"]]
    other = pd.DataFrame({"a": np.array([0.5]), "b": np.array([7]), "c": np.array([1.0])},
                         copy=False)
    flags = pd.DataFrame({"x": np.array([True, False]), "y": np.array([False, False])},
                         copy=False)
    journal = InferenceLog(MODEL, url=url, flush_interval=3600)
    for start in range(0, 6, 2):
        journal.append(record(f"s{start}", batch.iloc[start:start + 2], [0, 1]))
    journal.append(record("other", other, [1]))
    journal.flush()
    journal.append(record("flags", flags, [1, 0]))
    journal.close()
    frame = logbook.read_window(MODEL, url=url)
    sliced = frame[frame.request_id.str.startswith("s")].sort_values(["request_id", "row"])
    np.testing.assert_array_equal(sliced[["a", "b", "c"]].to_numpy(),
                                  batch[["a", "b", "c"]].to_numpy())
    assert frame.set_index("request_id").loc["other", ["a", "b", "c"]].tolist() == [0.5, 7, 1]
    flagged = frame[frame.request_id == "flags"].sort_values("row")
    assert flagged["x"].astype(bool).tolist() == [True, False]
