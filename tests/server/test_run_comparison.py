"""``POST runs/compare`` and ``GET runs/diff`` against a real Jupyter server and store."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.runs.helpers import log_notebook, make_run, notebook_json

NAMESPACE = "mlops-jupyter"


async def post_compare(jp_fetch, body: dict) -> dict:
    response = await jp_fetch(NAMESPACE, "runs", "compare", method="POST",
                              body=json.dumps(body))
    return json.loads(response.body)


async def error_of(jp_fetch, *path, **kwargs) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, **kwargs)
    body = json.loads(caught.value.response.body)
    assert set(body) == {"error"} and "\n" not in body["error"]
    return caught.value.code, body["error"]


@pytest.fixture
def runs(mlops_home, tmp_path):
    ids = []
    for index, (model, seed, score) in enumerate(
            [("forest", "1", 0.9), ("forest", "2", 0.92), ("boost", "1", 0.8)]):
        run_id = make_run(name=f"{model}-{seed}", params={"model": model, "seed": seed},
                          metrics={"accuracy": score}, histories={"loss": [1.0, 0.5]},
                          tags={"mlops.kind": "session"})
        sources = ["import x", f"fit(C={index})\nscore()"]
        log_notebook(run_id, notebook_json(sources), tmp_path / str(index))
        ids.append(run_id)
    return ids


async def test_compare_three_runs_grouped(jp_fetch, runs):
    body = await post_compare(jp_fetch, {"run_ids": runs, "baseline": runs[2],
                                         "group_except": ["seed"]})

    assert [run["run_name"] for run in body["runs"]] == ["forest-1", "forest-2", "boost-1"]
    assert body["baseline"] == 2
    assert body["params"][0]["differs"] is True
    accuracy = body["metrics"][0]
    assert accuracy["key"] == "accuracy" and accuracy["best"] == 1
    assert accuracy["deltas"][2] == 0
    assert [history["key"] for history in body["histories"]] == ["loss"]
    groups = {group["values"]["model"]: group for group in body["groups"]}
    assert groups["forest"]["n"] == 2 and groups["forest"]["metrics"]["accuracy"]["n"] == 2


async def test_diff_of_two_sessions(jp_fetch, runs):
    response = await jp_fetch(NAMESPACE, "runs", "diff", params={"a": runs[0], "b": runs[1]})
    body = json.loads(response.body)

    assert body["a"]["run_id"] == runs[0] and body["b"]["run_id"] == runs[1]
    assert [cell["status"] for cell in body["notebook"]["cells"]] == ["unchanged", "changed"]
    assert body["params"] == [{"key": "seed", "a": "1", "b": "2", "status": "changed"}]
    assert body["equal_params"] == 1


@pytest.mark.parametrize(("body", "mentions"), [
    ({"run_ids": [f"{i:032x}" for i in range(1001)]}, "run_ids"),
    ({"run_ids": ["abc"]}, "run_ids"),
    ({"run_ids": ["abc", "../../etc"]}, "not a run id"),
    ({"run_ids": ["abc", "abc"]}, "listed twice"),
    ({"run_ids": ["abc", "def"], "extra": 1}, "extra"),
    ({"run_ids": ["abc", "def"], "histories": "yes"}, "histories"),
    ({"run_ids": "abc"}, "run_ids"),
])
async def test_bad_compare_requests_are_400(jp_fetch, mlops_home, body, mentions):
    code, error = await error_of(jp_fetch, "runs", "compare", method="POST",
                                 body=json.dumps(body))
    assert code == 400
    assert mentions in error


async def test_compare_with_an_unknown_run_is_404(jp_fetch, runs):
    unknown = "0123456789abcdef" * 2
    code, error = await error_of(jp_fetch, "runs", "compare", method="POST",
                                 body=json.dumps({"run_ids": [runs[0], unknown]}))
    assert code == 404
    assert error == "run 0123456789abcdef012… does not exist"


async def test_compare_grouping_by_an_unknown_param_is_400(jp_fetch, runs):
    code, error = await error_of(jp_fetch, "runs", "compare", method="POST",
                                 body=json.dumps({"run_ids": runs, "group_by": ["nope"]}))
    assert code == 400 and "nope" in error


@pytest.mark.parametrize(("params", "status"), [
    ({"a": "x/y", "b": "abc"}, 400),
    ({"a": "abc"}, 400),
    ({"a": "f" * 32, "b": "e" * 32}, 404),
    ({"a": "a" * 65, "b": "abc"}, 400),
])
async def test_bad_diff_queries(jp_fetch, mlops_home, params, status):
    code, _ = await error_of(jp_fetch, "runs", "diff", params=params)
    assert code == status


@pytest.mark.parametrize(("path", "method", "body"), [
    (("runs", "compare"), "POST", json.dumps({"run_ids": ["a", "b"]})),
    (("runs", "diff"), "GET", None),
])
async def test_anonymous_requests_are_forbidden(jp_fetch, mlops_home, path, method, body):
    code, _ = await error_of(jp_fetch, *path, method=method, body=body,
                             headers={"Authorization": ""})
    assert code == 403


class RunsRefused(Authorizer):
    """Refuses the ``mlops_runs`` resource."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return resource != "mlops_runs"


class TestAuthorization:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "ServerApp": {**jp_server_config["ServerApp"],
                                                  "authorizer_class": RunsRefused}}

    async def test_the_runs_resource_is_asked(self, jp_fetch, mlops_home):
        code, _ = await error_of(jp_fetch, "runs", "diff", params={"a": "x", "b": "y"})
        assert code == 403
