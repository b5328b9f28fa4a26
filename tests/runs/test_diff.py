"""Diffing two runs of a real MLflow store: notebook cells, params, environment,
fingerprints, metrics."""

from __future__ import annotations

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.runs.comparison_contracts import DiffQuery
from mlops_jupyter.runs.comparison_service import ComparisonService
from mlops_jupyter.runs.diff import diff_cells

from .helpers import log_notebook, log_text, make_run, notebook_json

NOTEBOOK = ["import pandas as pd", "df = pd.read_csv('train.csv')",
            ("markdown", "# Train"), "model = fit(df, C=0.5)\nscore = evaluate(model)"]


def diff(a, b):
    return ComparisonService().diff(DiffQuery(a=a, b=b)).to_json()


def session(tmp_path, name, sources, *, params=None, metrics=None, tags=None, env=None):
    run_id = make_run(name=name, params=params, metrics=metrics,
                      tags={"mlops.kind": "session", **(tags or {})})
    log_notebook(run_id, notebook_json(sources), tmp_path / name)
    if env is not None:
        log_text(run_id, "environment/requirements.txt", env, tmp_path / name / "env")
    return run_id


def test_edited_cell_changed_and_added_cell_added(mlops_home, tmp_path):
    edited = [*NOTEBOOK]
    edited[3] = "model = fit(df, C=1.0)\nscore = evaluate(model)"
    edited.insert(2, "df = df.dropna()")
    a = session(tmp_path, "first", NOTEBOOK)
    b = session(tmp_path, "second", edited)

    notebook = diff(a, b)["notebook"]

    assert notebook["available"] is True and notebook["a_name"] == "train.ipynb"
    statuses = [(cell["status"], cell["a_index"], cell["b_index"])
                for cell in notebook["cells"]]
    assert statuses == [("unchanged", 0, 0), ("unchanged", 1, 1), ("added", None, 2),
                        ("unchanged", 2, 3), ("changed", 3, 4)]
    changed = notebook["cells"][4]
    assert changed["lines"] == [{"op": "-", "text": "model = fit(df, C=0.5)"},
                                {"op": "+", "text": "model = fit(df, C=1.0)"},
                                {"op": " ", "text": "score = evaluate(model)"}]
    assert notebook["cells"][2]["b_source"] == "df = df.dropna()"
    assert notebook["cells"][3]["cell_type"] == "markdown"


def test_removed_cells_and_outputs_ignored():
    a = [{"cell_type": "code", "source": s, "metadata": {}} for s in ("x = 1", "y = 2", "z")]
    b = [{"cell_type": "code", "source": s, "metadata": {}} for s in ("x = 1", "z")]
    assert [cell["status"] for cell in diff_cells(a, b)] == ["unchanged", "removed",
                                                             "unchanged"]


def test_cell_run_uses_its_sessions_snapshot(mlops_home, tmp_path):
    a_session = session(tmp_path, "s1", NOTEBOOK)
    b_session = session(tmp_path, "s2", [*NOTEBOOK[:3], "model = fit(df, C=2.0)\nscore = evaluate(model)"])
    a = make_run(name="train", parent=a_session, tags={"mlops.kind": "cell"})
    b = make_run(name="train", parent=b_session, tags={"mlops.kind": "cell"})

    cells = diff(a, b)["notebook"]["cells"]
    assert [cell["status"] for cell in cells] == ["unchanged"] * 3 + ["changed"]


def test_cell_source_as_one_cell_notebook(mlops_home, tmp_path):
    a, b = make_run(name="a"), make_run(name="b")
    log_text(a, "cell/source.py", "x = 1\ny = 2", tmp_path / "a")
    log_text(b, "cell/source.py", "x = 1\ny = 3", tmp_path / "b")

    notebook = diff(a, b)["notebook"]
    assert notebook["available"] and notebook["a_name"] == "cell/source.py"
    assert [cell["status"] for cell in notebook["cells"]] == ["changed"]


def test_run_without_notebook_is_unavailable_with_a_reason(mlops_home, tmp_path):
    a = make_run(name="bare")
    b = session(tmp_path, "nb", NOTEBOOK)
    notebook = diff(a, b)["notebook"]
    assert notebook["available"] is False
    assert notebook["reason"].startswith("run a: no notebook snapshot")
    assert notebook["b_name"] == "train.ipynb" and notebook["cells"] == []


def test_params_environment_fingerprints_and_metrics(mlops_home, tmp_path):
    a = session(tmp_path, "a", NOTEBOOK,
                params={"C": "0.5", "penalty": "l2", "seed": "1", "old": "x"},
                metrics={"accuracy": 0.9, "rmse": 0.3},
                tags={"mlops.env.python": "3.11.4", "mlops.env.numpy": "1.26.0",
                      "mlops.env.executable": "/secret/path/python",
                      "mlops.data.df": '{"rows":100,"sha":"aaa"}',
                      "mlops.data.labels": '{"rows":100,"sha":"bbb"}'},
                env="numpy==1.26.0\npandas==2.1.0\nscikit-learn==1.3.0\n")
    b = session(tmp_path, "b", NOTEBOOK,
                params={"C": "1.0", "penalty": "l2", "seed": "1", "new": "y"},
                metrics={"accuracy": 0.95},
                tags={"mlops.env.python": "3.11.4", "mlops.env.numpy": "2.0.0",
                      "mlops.data.df": '{"rows":120,"sha":"ccc"}',
                      "mlops.data.labels": '{"rows":100,"sha":"bbb"}'},
                env="numpy==2.0.0\npandas==2.1.0\nscikit-learn==1.4.0\n")

    result = diff(a, b)

    assert result["params"] == [
        {"key": "C", "a": "0.5", "b": "1.0", "status": "changed"},
        {"key": "new", "a": None, "b": "y", "status": "added"},
        {"key": "old", "a": "x", "b": None, "status": "removed"}]
    assert result["equal_params"] == 2
    assert result["environment"] == [
        {"package": "numpy", "a": "1.26.0", "b": "2.0.0"},
        {"package": "scikit-learn", "a": "1.3.0", "b": "1.4.0"}]
    assert {f["name"]: f["changed"] for f in result["fingerprints"]} == {
        "df": True, "labels": False}
    metrics = {m["key"]: m for m in result["metrics"]}
    assert metrics["accuracy"]["delta"] == pytest.approx(0.05)
    assert metrics["rmse"] == {"key": "rmse", "a": 0.3, "b": None, "delta": None}
    assert all(cell["status"] == "unchanged" for cell in result["notebook"]["cells"])


def test_bad_and_unknown_runs(mlops_home):
    a = make_run()
    with pytest.raises(UsageError):
        diff(a, "no/such")
    with pytest.raises(NotFoundError, match="does not exist"):
        diff(a, "f" * 32)


def test_two_hundred_cells_few_edits():
    def cells(sources):
        return [{"cell_type": "code", "source": s, "metadata": {}} for s in sources]

    a = [f"value_{i} = compute({i}, scale=2)\nprint(value_{i})" for i in range(200)]
    b = list(a)
    b[10] = b[10].replace("scale=2", "scale=3")
    b.insert(40, "extra = check(value_39)")
    del b[150]
    rows = diff_cells(cells(a), cells(b))

    changed = [(r["status"], r["a_index"], r["b_index"]) for r in rows
               if r["status"] != "unchanged"]
    assert changed == [("changed", 10, 10), ("added", None, 40), ("removed", 149, None)]
    assert len(rows) == 201
    assert all(r["a_source"] == r["b_source"] for r in rows if r["status"] == "unchanged")
