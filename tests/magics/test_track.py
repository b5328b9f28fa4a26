"""``%mlops`` / ``%%mlops`` in real kernels, read back with MlflowClient."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from mlflow import MlflowClient

from tests.magics.helpers import KernelSession, cell_text, kernel_env


def _client(home) -> MlflowClient:
    return MlflowClient(f"sqlite:///{home / 'mlflow.db'}")


def _runs(client: MlflowClient, experiment: str):
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r}"
    runs = client.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])
    return {run.info.run_name: run for run in runs}


@pytest.fixture(scope="module")
def session_notebook(tmp_path_factory):
    """One kernel that tracks a session in a git repository with a known notebook."""
    root = tmp_path_factory.mktemp("session")
    home = root / "home"
    work = root / "work"
    work.mkdir()
    notebook = work / "train churn.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), notebook)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "lib.py").write_text("A = 1\n")
    subprocess.run(["git", "-C", str(work), "add", "lib.py"], check=True)
    subprocess.run(["git", "-C", str(work), "-c", "user.email=t@t", "-c", "user.name=t",
                    "commit", "-qm", "init"], check=True)
    (work / "lib.py").write_text("A = 2\n")  # tracked file modified: dirty
    env = kernel_env(home, MLOPS_NOTEBOOK=str(notebook))
    with KernelSession(env, cwd=work) as kernel:
        cells = {
            "load": kernel.run("import sys\n%load_ext mlops_jupyter\n"
                               "print(sorted(m for m in ('mlflow', 'pandas', 'evidently', "
                               "'sklearn') if m in sys.modules))"),
            "track": kernel.run("%mlops track"),
            "assign": kernel.run(
                "import numpy as np, pandas as pd\n"
                "lr = 0.05\nkernel_name = 'rbf'\nuse_bias = True\nitems = [1, 2]\n"
                "frame = pd.DataFrame({'a': range(10), 'b': list('abcdefghij')})\n"
                "matrix = np.ones((3, 4))\n"
                "%mlops log accuracy=0.93 note=first\nlr"),
            "loop": kernel.run("import mlops_jupyter\nfor loss in (0.5, 0.4, 0.3):\n"
                               "    mlops_jupyter.log_metric('loss', loss)"),
            "fail": kernel.run("partial = 1\nraise ValueError('bad value 42')"),
            "interrupt": kernel.run("raise KeyboardInterrupt"),
            "huge": kernel.run("big_text = 'x' * 5_000_000\nopaque = object()\n"
                               "big_array = np.zeros(5_000_000)"),
            "named": kernel.run("%%mlops track --name evaluate\nscore = 0.8\nscore * 100"),
            "status": kernel.run("%mlops status"),
            "stop": kernel.run("%mlops stop"),
            "flush": kernel.run("%mlops flush --timeout 60"),
        }
    assert "every event is written" in cell_text(cells["flush"])
    return {"home": home, "notebook": notebook, "cells": cells}


def test_load_ext_imports_no_heavy_library(session_notebook):
    assert cell_text(session_notebook["cells"]["load"]).strip() == "[]"


def test_session_and_cell_runs(session_notebook):
    runs = _runs(_client(session_notebook["home"]), "train churn")
    session = next(run for run in runs.values() if run.data.tags["mlops.kind"] == "session")
    cells = [run for run in runs.values() if run.data.tags["mlops.kind"] == "cell"]
    # assign, loop, fail, interrupt, huge, evaluate; %mlops-only cells are not runs
    assert len(cells) == 6
    assert session.info.status == "FINISHED"
    assert session.data.tags["mlops.session.cells"] == "6"
    assert all(run.data.tags["mlflow.parentRunId"] == session.info.run_id for run in cells)
    assert {run.data.tags["mlops.notebook"] for run in runs.values()} == {
        str(session_notebook["notebook"])}


def test_cell_params_metrics_and_fingerprints(session_notebook):
    client = _client(session_notebook["home"])
    run = _runs(client, "train churn")["cell [3]"]
    assert run.info.status == "FINISHED"
    assert run.data.params == {"lr": "0.05", "kernel_name": "rbf", "use_bias": "True",
                               "note": "first"}
    assert run.data.metrics == {"accuracy": 0.93}
    frame = json.loads(run.data.tags["mlops.data.frame"])
    assert frame["shape"] == [10, 2] and frame["columns"] == ["a", "b"]
    assert frame["method"] == "full" and len(frame["hash"]) == 32
    assert json.loads(run.data.tags["mlops.data.matrix"])["shape"] == [3, 4]
    assert run.data.tags["mlops.cell.execution_count"] == "3"
    assert float(run.data.tags["mlops.cell.duration_s"]) > 0
    source = client.download_artifacts(run.info.run_id, "cell/source.py")
    assert "%mlops log accuracy=0.93" in Path(source).read_text()


def test_metric_logged_in_a_loop_keeps_every_step(session_notebook):
    client = _client(session_notebook["home"])
    run = _runs(client, "train churn")["cell [4]"]
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
        (0, 0.5), (1, 0.4), (2, 0.3)]


def test_failing_cell_is_failed_and_still_raises(session_notebook):
    cells = session_notebook["cells"]
    assert "ValueError: bad value 42" in cell_text(cells["fail"])
    runs = _runs(_client(session_notebook["home"]), "train churn")
    failed = runs["cell [5]"]
    assert failed.info.status == "FAILED"
    assert failed.data.tags["mlops.error.type"] == "ValueError"
    assert failed.data.tags["mlops.error.message"] == "bad value 42"
    assert failed.data.params == {"partial": "1"}
    killed = runs["cell [6]"]
    assert killed.info.status == "KILLED"
    assert killed.data.tags["mlops.error.type"] == "KeyboardInterrupt"


def test_enormous_and_opaque_values_stay_cheap(session_notebook):
    cell = session_notebook["cells"]["huge"]
    assert cell_text(cell) == ""
    run = _runs(_client(session_notebook["home"]), "train churn")["cell [7]"]
    assert len(run.data.params["big_text"]) <= 500
    assert "opaque" not in run.data.params
    assert json.loads(run.data.tags["mlops.data.big_array"])["method"] == "sampled"


def test_cell_magic_names_its_run_and_returns_the_value(session_notebook):
    cell = session_notebook["cells"]["named"]
    assert cell_text(cell).strip() == "80.0"
    run = _runs(_client(session_notebook["home"]), "train churn")["evaluate"]
    assert run.data.params == {"score": "0.8"}


def test_git_environment_and_snapshot(session_notebook):
    client = _client(session_notebook["home"])
    runs = _runs(client, "train churn")
    session = next(run for run in runs.values() if run.data.tags["mlops.kind"] == "session")
    tags = runs["cell [3]"].data.tags
    assert len(tags["mlops.git.commit"]) == 40 and tags["mlops.git.dirty"] == "true"
    assert tags["mlops.env.python"].startswith("3.")
    assert "mlops.env.mlflow" in tags
    diff = client.download_artifacts(runs["cell [3]"].info.run_id, "git/diff.patch")
    assert "+A = 2" in Path(diff).read_text()
    paths = {a.path for a in client.list_artifacts(session.info.run_id, "notebook")}
    assert paths == {"notebook/train churn.ipynb"}
    requirements = client.download_artifacts(session.info.run_id,
                                             "environment/requirements.txt")
    assert "mlflow==" in Path(requirements).read_text()


def test_status_reports_store_experiment_and_events(session_notebook):
    text = cell_text(session_notebook["cells"]["status"])
    assert f"sqlite:///{session_notebook['home'] / 'mlflow.db'}" in text
    assert "experiment:   train churn" in text
    assert "tracked cells: 6" in text
    assert "spooled to disk" in text


@pytest.mark.parametrize("line, message", [
    ("%mlops frobnicate", "unknown subcommand 'frobnicate'"),
    ("%mlops track --colour red", "unrecognized arguments: --colour red"),
    ("%mlops log accuracy", "malformed pair 'accuracy'"),
    ("%mlops log accuracy=1", "no tracked run"),
    ("%mlops stop", "nothing is being tracked"),
    ("%mlops track --experiment ' '", "experiment name must be a non-empty string"),
    ("%mlops track --experiment " + "x" * 501, "MLflow allows 500"),
    ("%%mlops status\nx = 1", "only 'track' works as a cell magic"),
])
def test_bad_input_is_one_clear_line(tmp_path, line, message):
    with KernelSession(kernel_env(tmp_path / "home"), cwd=tmp_path) as kernel:
        kernel.run("%load_ext mlops_jupyter")
        cell = kernel.run(line)
        after = kernel.run("print('still fine')")
    # IPython shows a magic's UsageError as one stderr line, without a traceback.
    assert [o.output_type for o in cell.outputs] == ["stream"]
    text = cell.outputs[0].text
    assert cell.outputs[0].name == "stderr" and text.count("\n") == 1
    assert text.startswith("UsageError: mlops: ") and message in text
    assert cell_text(after).strip() == "still fine"


def test_fallback_experiment_without_a_notebook_and_bad_log_names(tmp_path):
    home = tmp_path / "home"
    with KernelSession(kernel_env(home), cwd=tmp_path) as kernel:
        kernel.run("%load_ext mlops_jupyter\n%mlops track")
        bad = kernel.run("%mlops log 'a*b'=1")
        kernel.run("x = 1")
        twice = kernel.run("%mlops track")
        between = kernel.run("%mlops log dataset_version=3")
        kernel.run("%mlops stop")
        flushed = kernel.run("%mlops flush --timeout 60")
    assert "invalid name 'a*b'" in cell_text(bad)
    assert "dataset_version (metric)" in cell_text(between)
    assert "already tracking into experiment 'notebooks'" in cell_text(twice)
    assert "every event is written" in cell_text(flushed)
    runs = _runs(_client(home), "notebooks")
    assert sum(run.data.tags["mlops.kind"] == "cell" for run in runs.values()) == 1
    session = next(run for run in runs.values() if run.data.tags["mlops.kind"] == "session")
    assert session.data.metrics == {"dataset_version": 3.0}


def test_kernel_shutdown_ends_the_session_and_writes_everything(tmp_path):
    from tests.magics.helpers import flusher_pids, wait_for

    home = tmp_path / "home"
    with KernelSession(kernel_env(home), cwd=tmp_path) as kernel:
        kernel.run("%load_ext mlops_jupyter\n%mlops track --experiment shutdown")
        kernel.run("a = 1")
        no_notebook = kernel.run("%mlops snapshot")
    assert "the notebook file is not known to this kernel" in cell_text(no_notebook)
    # The flusher outlives the kernel just long enough to write what is left.
    wait_for(lambda: not flusher_pids(home / "spool"), 60, "the flusher to finish")
    assert list((home / "spool").glob("*.events")) == []
    runs = _runs(_client(home), "shutdown")
    session = next(run for run in runs.values() if run.data.tags["mlops.kind"] == "session")
    assert session.info.status == "FINISHED"
    assert session.data.tags["mlops.session.ended_by"] == "kernel-shutdown"
    assert runs["cell [2]"].info.status == "FINISHED"
