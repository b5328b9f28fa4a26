"""Lineage from model version back to notebook / pipeline step, data and git."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.registry import lineage, register_model, render_tree, set_alias
from mlops_jupyter.registry.common import parse_model_reference
from mlops_jupyter.tracking import store


def test_lineage_of_a_notebook_cell_run(make_run, iris_model, tmp_path, monkeypatch):
    session = make_run(tags={"mlops.kind": "session", "mlops.notebook": "train.ipynb",
                             "mlops.git.commit": "c0ffee", "mlops.git.branch": "main",
                             "mlops.git.dirty": "true"})
    notebook = tmp_path / "train.ipynb"
    notebook.write_text("{}")
    store.client().log_artifact(session, str(notebook), "notebook")
    cell = make_run(parent=session, params={"C": 0.5}, metrics={"accuracy": 0.97},
                    tags={"mlops.kind": "cell", "mlops.notebook": "train.ipynb",
                          "mlops.cell.execution_count": "7",
                          "mlops.data.df": json.dumps({"rows": 150, "hash": "abc"})})
    register_model(iris_model, "iris", run_id=cell)
    set_alias("iris", "champion", 1, reason="x")

    # The pickle is never touched: lineage works with the model file gone.
    import pickle

    original = pickle.load
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    info = lineage("iris", "champion")
    monkeypatch.setattr(pickle, "load", original)

    assert info["model"]["version"] == "1" and info["model"]["aliases"] == ["champion"]
    assert info["run"]["run_id"] == cell and info["run"]["metrics"] == {"accuracy": 0.97}
    assert info["notebook"] == {"path": "train.ipynb", "cell": "7", "session_run_id": session,
                                "snapshot": ["notebook/train.ipynb"]}
    assert info["parameters"] == {"C": "0.5"}
    assert info["data"] == {"df": {"rows": 150, "hash": "abc"}}
    assert info["git"] == {"commit": "c0ffee", "branch": "main", "dirty": True}
    assert lineage("iris", "1") == lineage("iris", "@champion")
    tree = render_tree(info)
    assert tree.splitlines()[0] == "iris v1 [champion] (sklearn)"
    for text in ("notebook train.ipynb, cell [7]", "snapshot notebook/train.ipynb",
                 "C = 0.5", "df: ", "git c0ffee on main (dirty)"):
        assert text in tree


def test_lineage_of_a_pipeline_step(make_run, iris_model):
    pipe = make_run(tags={"mlops.kind": "pipeline", "mlops.pipeline.run_id": "20261121-1",
                          "mlops.git.commit": "beef"})
    prepare = make_run(parent=pipe, tags={
        "mlops.kind": "step", "mlops.step.name": "prepare", "mlops.pipeline.name": "churn",
        "mlops.pipeline.run_id": "20261121-1", "mlops.step.inputs": json.dumps(
            {"data/raw.csv": "h-raw"}),
        "mlops.step.outputs": json.dumps({"data/features.parquet": "h-feat"})})
    make_run(parent=pipe, tags={  # a sibling that fed nothing
        "mlops.kind": "step", "mlops.step.name": "report",
        "mlops.pipeline.run_id": "20261121-1", "mlops.step.outputs": json.dumps({"r": "h-r"})})
    train = make_run(parent=pipe, params={"C": "1.0"}, tags={
        "mlops.kind": "step", "mlops.step.name": "train", "mlops.pipeline.name": "churn",
        "mlops.pipeline.run_id": "20261121-1", "mlops.step.notebook": "train.ipynb",
        "mlops.step.output_notebook": "runs/20261121-1/train.ipynb",
        "mlops.step.inputs": json.dumps({"data/features.parquet": "h-feat"})})
    register_model(iris_model, "churn", run_id=train)
    version = store.client().get_model_version("churn", "1")
    assert version.tags["mlops.lineage.step"] == "train"
    assert version.tags["mlops.lineage.pipeline_run_id"] == "20261121-1"
    assert version.tags["mlops.lineage.git_commit"] == "beef"

    info = lineage("churn", 1)
    assert info["pipeline"]["step"] == "train" and info["pipeline"]["run_id"] == "20261121-1"
    assert info["pipeline"]["output_notebook"] == "runs/20261121-1/train.ipynb"
    assert [u["step"] for u in info["upstream"]] == ["prepare"]
    assert info["upstream"][0]["run_id"] == prepare and info["upstream"][0]["matched"]
    assert info["data"] == {"file:data/features.parquet": "h-feat"}
    assert info["git"]["commit"] == "beef"
    assert "upstream step prepare" in render_tree(info)


def test_lineage_unknowns(registered):
    registered("iris")
    with pytest.raises(NotFoundError, match="no registered model"):
        lineage("nope", 1)
    with pytest.raises(NotFoundError, match="has no version 4"):
        lineage("iris", 4)
    with pytest.raises(NotFoundError, match="has no alias 'champion'"):
        lineage("iris", "champion")
    with pytest.raises(UsageError):
        lineage("iris", "bad alias!")


@pytest.mark.parametrize("ref,expected", [("iris", ("iris", None)),
                                          ("iris@champion", ("iris", "champion")),
                                          ("iris/3", ("iris", "3"))])
def test_parse_model_reference(ref, expected):
    assert parse_model_reference(ref) == expected


@pytest.mark.parametrize("ref", ["", "iris/x", "iris@", "../iris", "iris@latest"])
def test_parse_model_reference_bad(ref):
    with pytest.raises(UsageError):
        parse_model_reference(ref)
