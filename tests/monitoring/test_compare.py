"""Drift between two datasets, no registered model: the CLI, the magic and the function.

Everything runs against a non-default store (``MLFLOW_TRACKING_URI`` set to a SQLite
file outside the home), so nothing here can pass by falling back to the embedded one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

import mlops_jupyter
from mlops_jupyter import cli, config
from mlops_jupyter.monitoring import records
from mlops_jupyter.monitoring.drift import DriftResult
from tests.magics.helpers import KernelSession, cell_text, kernel_env
from tests.monitoring.helpers import assert_same_as_evidently, evidently_verdicts


def make_frame(rows: int, *, shifted: bool, seed: int) -> pd.DataFrame:
    """Two numerical and two categorical columns; ``shifted`` moves three of them."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(40 + (8 if shifted else 0), 10, rows),
        "income": rng.exponential(3.0, rows),
        "plan": rng.choice(["basic", "plus", "pro"], rows,
                           p=[0.2, 0.3, 0.5] if shifted else [0.5, 0.3, 0.2]),
        "visits": rng.integers(0, 4 if shifted else 8, rows),
    })


@pytest.fixture
def other_store(mlops_home, _empty_store, tmp_path, monkeypatch):
    """``MLFLOW_TRACKING_URI`` = a SQLite store outside the home; cwd = a scratch folder."""
    folder = tmp_path / "other"
    folder.mkdir()
    shutil.copyfile(_empty_store, folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    monkeypatch.setenv(config.TRACKING_URI_ENV, uri)
    monkeypatch.chdir(tmp_path)
    return uri


@pytest.fixture
def files(tmp_path):
    """ref/cur (no drift) and drifted windows, as parquet and as CSV."""
    data = tmp_path / "data"
    data.mkdir()
    reference = make_frame(2000, shifted=False, seed=1)
    frames = {"ref": reference, "same": make_frame(2000, shifted=False, seed=2),
              "drifted": make_frame(2000, shifted=True, seed=3)}
    for name, frame in frames.items():
        frame.to_parquet(data / f"{name}.parquet")
        frame.to_csv(data / f"{name}.csv", index=False)
    return data, frames


def run_cli(*args: str, uri: str, home, cwd) -> subprocess.CompletedProcess:
    """``mlops ARGS`` in a fresh process, the store given only by MLFLOW_TRACKING_URI."""
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", *args], cwd=cwd,
                          env=kernel_env(home, tracking_uri=uri), capture_output=True,
                          text=True, timeout=300, check=False)


def recorded(uri: str, run_id: str):
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    return client, run, experiment


def test_cli_two_parquet_files_drift_recorded_in_the_configured_store(other_store, files,
                                                                      mlops_home, tmp_path):
    data, frames = files
    done = run_cli("drift", "check", "--reference", str(data / "ref.parquet"),
                   "--current", str(data / "drifted.parquet"), "--no-report", "--json",
                   uri=other_store, home=mlops_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["model"] is None and out["reference"] == "ref.parquet"
    assert out["current"] == "drifted.parquet"
    result = out["result"]
    assert result["dataset_drift"] is True
    assert sorted(c for c, v in result["columns"].items() if v["drifted"]) == [
        "age", "plan", "visits"]
    # The same verdicts and scores as Evidently's DataDriftPreset on all rows.
    assert_same_as_evidently(DriftResult.from_dict(result),
                             evidently_verdicts(frames["ref"], frames["drifted"]))

    client, run, experiment = recorded(other_store, out["run_id"])
    assert experiment.name == records.EXPERIMENT
    assert run.info.status == "FINISHED"
    assert run.data.tags[records.TAG_KIND] == records.KIND
    assert run.data.tags[records.TAG_REFERENCE] == "ref.parquet"
    assert run.data.tags[records.TAG_DATASET_DRIFT] == "true"
    assert records.TAG_MODEL not in run.data.tags
    assert run.data.metrics["drifted_columns"] == 3 and run.data.metrics["alerts"] == 0
    (summary,) = records.search_checks(client)
    assert summary["reference"] == "ref.parquet" and summary["model"] is None
    # Nothing went to the embedded store under the home.
    assert not (mlops_home / "mlflow.db").exists()


def test_cli_two_csv_files_without_drift_prints_the_verdict(other_store, files, mlops_home,
                                                            tmp_path):
    data, _ = files
    done = run_cli("drift", "check", "--reference", str(data / "ref.csv"),
                   "--current", str(data / "same.csv"),
                   uri=other_store, home=mlops_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ref.csv vs same.csv: no drift — 0/4 columns drifted")
    assert lines[-1].startswith("recorded: run ")
    run_id = lines[-1].split()[2]
    client, run, _ = recorded(other_store, run_id)
    assert run.data.tags[records.TAG_DATASET_DRIFT] == "false"
    # With the report (the default), Evidently's HTML is stored next to the result.
    stored = {item.path for item in client.list_artifacts(run_id, "drift")}
    assert stored == {records.RESULT_ARTIFACT, records.REPORT_ARTIFACT}


@pytest.mark.parametrize(("suffix", "window", "verdict"), [
    ("csv", "drifted", "DRIFT — 3/4"), ("parquet", "same", "no drift — 0/4")])
def test_cli_two_files_other_cases(other_store, files, mlops_home, tmp_path, suffix, window,
                                   verdict):
    data, _ = files
    done = run_cli("drift", "check", "--reference", str(data / f"ref.{suffix}"),
                   "--current", str(data / f"{window}.{suffix}"), "--no-report",
                   uri=other_store, home=mlops_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"ref.{suffix} vs {window}.{suffix}: {verdict} columns "
                                  "drifted")


def test_function_compares_two_frames(other_store, files):
    _, frames = files
    outcome = mlops_jupyter.check_drift(frames["ref"], frames["drifted"], report=False)
    assert outcome["model"] is None and outcome["reference"] == "DataFrame"
    assert_same_as_evidently(DriftResult.from_dict(outcome["result"]),
                             evidently_verdicts(frames["ref"], frames["drifted"]))
    same = mlops_jupyter.check_drift(frames["ref"], frames["same"], report=False)
    assert same["result"]["dataset_drift"] is False
    # A column only one side has is left out and said so, not an error.
    partial = mlops_jupyter.check_drift(frames["ref"].assign(extra=1.0),
                                        frames["same"].assign(other="x"), report=False)
    assert partial["result"]["excluded_columns"] == {"extra": "not in DataFrame"}
    assert partial["result"]["ignored_columns"] == ["other"]
    checks = records.search_checks(MlflowClient(tracking_uri=other_store))
    assert [c["run_id"] for c in checks] == [partial["run_id"], same["run_id"],
                                             outcome["run_id"]]


def test_magic_compares_frames_and_files_in_a_real_kernel(other_store, files, mlops_home,
                                                          tmp_path):
    data, _ = files
    with KernelSession(kernel_env(mlops_home, tracking_uri=other_store),
                       cwd=data) as kernel:
        kernel.run("%load_ext mlops_jupyter\n"
                   "import pandas as pd\n"
                   "ref = pd.read_parquet('ref.parquet')\n"
                   "cur = pd.read_parquet('drifted.parquet')")
        frames = kernel.run("%mlops drift --reference ref --current cur --no-report")
        from_files = kernel.run("%mlops drift --reference ref.csv --current same.csv "
                                "--no-report")
        errors = [cell_text(kernel.run(line)) for line in (
            "%mlops drift --reference ref --current missing.csv",
            "%mlops drift --reference ref --current nothing_here",
            "%mlops drift --current cur")]
    assert "Dataset drift" in html_of(frames)
    assert "DataFrame vs DataFrame: 3 of 4 columns drifted" in html_of(frames)
    assert "No dataset drift" in html_of(from_files)
    assert "ref.csv vs same.csv" in html_of(from_files)
    assert "no data file missing.csv" in errors[0]
    assert "neither a variable nor a .csv/.parquet file" in errors[1]
    assert "give --model MODEL[@ALIAS], or --reference" in errors[2]
    assert all(e.startswith("UsageError: mlops: ") and e.count("\n") == 1 for e in errors)
    checks = records.search_checks(MlflowClient(tracking_uri=other_store))
    assert [c["dataset_drift"] for c in checks] == [False, True]


def html_of(cell) -> str:
    return "".join(output.get("data", {}).get("text/html", "") for output in cell["outputs"])


# --- bad input: one line, exit 2, nothing recorded --------------------------------------


def _write_bad(folder):
    good = make_frame(200, shifted=False, seed=1)
    good.to_csv(folder / "good.csv", index=False)
    pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]}).to_csv(folder / "other.csv", index=False)
    (folder / "empty.csv").write_text("")
    good.head(0).to_csv(folder / "header_only.csv", index=False)
    good.head(0).to_parquet(folder / "no_rows.parquet")
    good.assign(age=["forty"] * len(good)).to_csv(folder / "text_age.csv", index=False)
    (folder / "notes.txt").write_text("x")


@pytest.mark.parametrize(("reference", "current", "message"), [
    ("good.csv", "missing.csv", "no data file missing.csv"),
    ("good.csv", "other.csv", "good.csv and other.csv have no column in common"),
    ("good.csv", "empty.csv", "cannot read empty.csv: No columns to parse from file"),
    ("good.csv", "header_only.csv", "header_only.csv has no rows"),
    ("no_rows.parquet", "good.csv", "no_rows.parquet has no rows"),
    ("good.csv", "text_age.csv", ("column 'age' is numerical in the reference but holds "
                                  "non-numeric values in the current data (e.g. 'forty')")),
    ("good.csv", "notes.txt", "notes.txt: expected a .csv or .parquet file"),
    ("good.csv", None, "to compare two datasets give both --reference FILE and --current"),
])
def test_bad_input_is_one_clear_line(other_store, tmp_path, capsys, reference, current,
                                     message):
    _write_bad(tmp_path)
    args = ["drift", "check", "--reference", str(tmp_path / reference)]
    if current is not None:
        args += ["--current", str(tmp_path / current)]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"mlops: error: {message}")
    assert captured.err.count("\n") == 1 and len(captured.err) < 300
    assert str(tmp_path) not in captured.err
    assert records.search_checks(MlflowClient(tracking_uri=other_store)) == []


def test_nan_only_column_is_skipped_with_its_reason(other_store, tmp_path, capsys):
    reference = make_frame(300, shifted=False, seed=1)
    current = make_frame(300, shifted=False, seed=2).assign(income=np.nan)
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_csv(tmp_path / "cur.csv", index=False)
    assert cli.main(["drift", "check", "--reference", str(tmp_path / "ref.csv"),
                     "--current", str(tmp_path / "cur.csv"), "--no-report"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ref.csv vs cur.csv: no drift — 0/3 columns drifted")
    assert [line.split() for line in out if "income" in line] == [
        ["income", "skipped:", "no", "non-null", "values", "in", "the", "current", "data"]]
    # Only NaN on every column: nothing can be computed, and the verdict says so.
    current.assign(age=np.nan, plan=None, visits=np.nan).to_csv(tmp_path / "nan.csv",
                                                                 index=False)
    assert cli.main(["drift", "check", "--reference", str(tmp_path / "ref.csv"),
                     "--current", str(tmp_path / "nan.csv"), "--no-report"]) == 0
    assert capsys.readouterr().out.startswith(
        "ref.csv vs nan.csv: not computable — 0/0 columns drifted")



def test_a_store_that_does_not_answer_keeps_the_check_in_the_journal(
        mlops_home, files, monkeypatch):
    """The verdict is still shown; the record waits in the tracking journal, and the
    one line says so (no run id is made up)."""
    from mlops_jupyter.monitoring import checks
    from mlops_jupyter.monitoring.render import drift_lines
    from mlops_jupyter.tracking.spool import spooled_event_count

    _, frames = files
    monkeypatch.setenv(config.TRACKING_URI_ENV, "http://127.0.0.1:9")  # discard: refused
    monkeypatch.setattr(checks, "RECORD_TIMEOUT_S", 3.0)
    outcome = checks.compare(frames["ref"], frames["drifted"], report=False)
    assert outcome["result"]["dataset_drift"] is not None
    assert outcome["run_id"] is None and outcome["recorded"] is False
    assert drift_lines(outcome)[-1].startswith("not recorded yet: the tracking store did "
                                               "not answer")
    assert spooled_event_count(config.spool_dir()) >= 1
