"""The runs REST API (/runs/{id}, artifacts, open-notebook, the runs tree query)
against a real Jupyter server and a real MLflow store."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.tracking import store

NAMESPACE = "mlops-jupyter"


async def get_error(jp_fetch, *path: str, method: str = "GET", **kwargs) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def get_json(jp_fetch, *path: str, **params: str) -> dict:
    response = await jp_fetch(NAMESPACE, *path, params=params)
    return json.loads(response.body)


@pytest.fixture
def with_artifacts(seed_runs):
    """The seeded ``train`` cell run with its source, a notebook and a binary file."""
    client = store.client()
    train = seed_runs.cell_run_ids[1]
    client.log_text(train, "model.fit(X, y)\n", "cell/source.py")
    client.log_text(train, json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                       "nbformat_minor": 5}), "notebook/train.ipynb")
    client.log_text(train, "\x00\x01binary", "model/weights.bin")
    return seed_runs


async def test_run_detail(jp_fetch, with_artifacts):
    train = with_artifacts.cell_run_ids[1]
    body = await get_json(jp_fetch, "runs", train)

    assert body["run_id"] == train and body["run_name"] == "train"
    assert body["experiment_name"] == "churn-model"
    assert body["parent"]["run_id"] == with_artifacts.session_run_id
    assert body["metric_history"]["accuracy"] == [
        {"step": 0, "value": 0.9134, "timestamp": body["metric_history"]["accuracy"][0]
         ["timestamp"]}]
    assert body["source"] == "model.fit(X, y)\n"
    assert body["notebooks"] == ["notebook/train.ipynb"]
    assert {"path": "model/weights.bin", "is_dir": False} .items() <= next(
        entry for entry in body["artifacts"] if entry["path"] == "model/weights.bin").items()
    session = await get_json(jp_fetch, "runs", with_artifacts.session_run_id)
    assert session["child_count"] == 4 and len(session["children"]) == 4


async def test_failed_cell_run_error(jp_fetch, seed_runs):
    body = await get_json(jp_fetch, "runs", seed_runs.cell_run_ids[2])
    assert body["error"] == "ZeroDivisionError: division by zero"
    assert body["error_detail"]["type"] == "ZeroDivisionError"


@pytest.mark.parametrize("run_id", ["a b", "x" * 65, "..", "%00", "r%C3%A9"])
async def test_malformed_run_ids_are_400(jp_fetch, seed_runs, run_id):
    code, body = await get_error(jp_fetch, "runs", run_id)
    assert code == 400 and set(body) == {"error"} and "\n" not in body["error"]


async def test_unknown_run_is_404(jp_fetch, seed_runs):
    code, body = await get_error(jp_fetch, "runs", "0" * 32)
    assert code == 404 and "does not exist" in body["error"]
    code, _ = await get_error(jp_fetch, "runs", "0" * 32, "artifacts",
                              params={"path": "cell/source.py"})
    assert code == 404


async def test_artifact_download(jp_fetch, with_artifacts):
    train = with_artifacts.cell_run_ids[1]
    text = await jp_fetch(NAMESPACE, "runs", train, "artifacts",
                          params={"path": "cell/source.py"})
    assert text.body == b"model.fit(X, y)\n"
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.headers["Content-Disposition"].startswith("inline")
    binary = await jp_fetch(NAMESPACE, "runs", train, "artifacts",
                            params={"path": "model/weights.bin"})
    assert binary.body == b"\x00\x01binary"
    assert binary.headers["Content-Disposition"].startswith("attachment")
    code, body = await get_error(jp_fetch, "runs", train, "artifacts",
                                 params={"path": "model/missing.bin"})
    assert code == 404 and set(body) == {"error"}


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "cell/../../x", "", "~/x"])
async def test_artifact_traversal_is_400(jp_fetch, with_artifacts, path):
    code, body = await get_error(jp_fetch, "runs", with_artifacts.cell_run_ids[1],
                                 "artifacts", params={"path": path})
    assert code == 400 and set(body) == {"error"} and "/etc" not in body["error"]


async def test_open_notebook(jp_fetch, with_artifacts, jp_root_dir):
    train = with_artifacts.cell_run_ids[1]
    response = await jp_fetch(NAMESPACE, "runs", train, "open-notebook", method="POST",
                              body=json.dumps({"path": "notebook/train.ipynb"}))
    path = json.loads(response.body)["path"]
    assert path == f".mlops/runs/{train}/train.ipynb"
    assert (jp_root_dir / path).is_file()
    for bad in ({"path": "../train.ipynb"}, {"path": "cell/source.py"}, {"path": 3}, {}):
        code, body = await get_error(jp_fetch, "runs", train, "open-notebook",
                                     method="POST", body=json.dumps(bad))
        assert code == 400 and set(body) == {"error"}


async def test_runs_tree_query(jp_fetch, seed_runs):
    eid = seed_runs.experiment_id
    top = await get_json(jp_fetch, "experiments", eid, "runs")
    assert [run["kind"] for run in top["runs"]] == ["session"]
    found = await get_json(jp_fetch, "experiments", eid, "runs",
                           filter="metrics.accuracy > 0.9")
    assert [run["run_name"] for run in found["runs"]] == ["train"]
    ordered = await get_json(jp_fetch, "experiments", eid, "runs",
                             parent=seed_runs.session_run_id, order_by="run_name ASC")
    assert [run["run_name"] for run in ordered["runs"]] == [
        "evaluate", "load data", "predict", "train"]
    # A status alone lists every run in it, flat: a failed cell under a running session.
    failed = await get_json(jp_fetch, "experiments", eid, "runs", status="FAILED")
    assert [run["run_name"] for run in failed["runs"]] == ["evaluate"]


@pytest.mark.parametrize(("params", "mentions"), [
    ({"filter": "metrics.accuracy >"}, "filter"),
    ({"filter": "accuracy > 0.9"}, "filter"),
    ({"filter": "params.model = forest"}, "filter"),
    ({"order_by": "duration DESC"}, "order_by"),
    ({"parent": "a b"}, "parent"),
])
async def test_bad_tree_queries_are_400_one_line(jp_fetch, seed_runs, params, mentions):
    code, body = await get_error(jp_fetch, "experiments", seed_runs.experiment_id, "runs",
                                 params=params)
    assert code == 400 and mentions in body["error"] and "\n" not in body["error"]
    assert len(body["error"]) < 300


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", ("runs", "0" * 32), None),
    ("GET", ("runs", "0" * 32, "artifacts"), None),
    ("POST", ("runs", "0" * 32, "open-notebook"), "{}"),
])
async def test_anonymous_requests_are_forbidden(jp_fetch, seed_runs, method, path, body):
    code, reply = await get_error(jp_fetch, *path, method=method, body=body,
                                  headers={"Authorization": ""})
    assert code == 403 and set(reply) == {"error"}
