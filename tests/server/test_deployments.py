"""The deployments REST API against a real Jupyter server: endpoints listed from their
state files (a stand-in process, and a real ``mlops serve`` once it exists), started
and stopped; bad bodies, unknown ids and anonymous or read-only users refused."""

from __future__ import annotations

import importlib.util
import json

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.serving import endpoints
from tests.server.authorization import read_only_authorizer, with_authorizer
from tests.server.standin_endpoint import start_standin, stop_standin

NAMESPACE = "mlops-jupyter"
HAS_SERVE = importlib.util.find_spec("mlops_jupyter.cli.serving") is not None


async def get_json(jp_fetch, *path: str):
    response = await jp_fetch(NAMESPACE, *path)
    return json.loads(response.body)


async def post_json(jp_fetch, *path: str, body: dict):
    response = await jp_fetch(NAMESPACE, *path, method="POST", body=json.dumps(body))
    return response.code, json.loads(response.body)


async def get_error(jp_fetch, *path: str, method: str = "GET", body=None, **kwargs):
    if body is not None:
        kwargs["body"] = json.dumps(body) if not isinstance(body, str) else body
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


@pytest.fixture
def standin(mlops_home):
    process, identifier = start_standin("iris", version="3")
    yield process, identifier
    stop_standin(process)


async def test_list_is_empty_without_endpoints(jp_fetch, mlops_home):
    assert await get_json(jp_fetch, "deployments") == {"deployments": []}


async def test_list_shows_a_running_endpoint(jp_fetch, standin):
    _, identifier = standin

    [item] = (await get_json(jp_fetch, "deployments"))["deployments"]

    assert item["id"] == identifier
    assert item["versions"]["champion"] == {**item["versions"]["champion"], "version": "3",
                                            "alias": "champion"}
    assert item["stats"]["all"]["requests"] == 130
    assert item["stats"]["challenger"]["p95_ms"] > 0
    assert item["split"] == 0.2 and item["challenger"] == "challenger"
    assert item["swaps"][0]["outcome"] == "switched"
    assert item["last_error"] == "model raised: boom"
    assert "token" not in item


async def test_stop_ends_the_endpoint(jp_fetch, standin):
    process, identifier = standin

    code, body = await post_json(jp_fetch, "deployments", identifier, "stop", body={})

    assert (code, body) == (200, {"id": identifier, "stopped": True})
    assert process.wait(timeout=10) is not None
    assert await get_json(jp_fetch, "deployments") == {"deployments": []}


async def test_registry_listing_shows_where_versions_are_deployed(jp_fetch, registered):
    registered("iris")
    registered("iris")
    registered("iris")
    process, identifier = start_standin("iris", version="3")
    try:
        [model] = (await get_json(jp_fetch, "models"))["models"]
        detail = await get_json(jp_fetch, "models", "iris")
    finally:
        stop_standin(process)

    deployed = {v["version"]: v["deployed"] for v in model["versions"]}
    assert [(d["id"], d["role"], d["alias"]) for d in deployed["3"]] == [
        (identifier, "champion", "champion")]
    assert deployed["2"][0]["role"] == "challenger"
    assert deployed["1"] == []
    assert {v["version"]: v["deployed"] for v in detail["versions"]} == deployed


@pytest.mark.parametrize("identifier", ["nope-1", "..", "a b"])
async def test_stop_of_an_unknown_endpoint_is_404(jp_fetch, mlops_home, identifier):
    code, error = await get_error(jp_fetch, "deployments", identifier, "stop",
                                  method="POST", body={})

    assert code == 404 and set(error) == {"error"}


@pytest.mark.parametrize("body", [
    "not json", [], {}, {"model": 3}, {"model": "iris", "extra": 1},
    {"model": "iris", "port": 80}, {"model": "iris", "port": "5001"},
    {"model": "iris", "split": 2}, {"model": "iris", "split": 0.3},
    {"model": "iris", "challenger": "c", "shadow": "s", "split": 0.2},
    {"model": "bad name!"}, {"model": "iris", "alias": "x" * 500},
])
async def test_bad_bodies_are_400(jp_fetch, registry_home, body):
    code, error = await get_error(jp_fetch, "deployments", method="POST", body=body)

    assert code == 400 and set(error) == {"error"}


async def test_unknown_model_or_alias_is_404_and_starts_nothing(jp_fetch, registered):
    registered("iris")
    for body in ({"model": "nobody"}, {"model": "iris", "alias": "champion"}):
        code, error = await get_error(jp_fetch, "deployments", method="POST", body=body)
        assert code == 404, error
    assert not list(endpoints.config.serving_dir().glob("*/endpoint.json"))


@pytest.mark.parametrize(("method", "parts", "body"), [
    ("GET", ("deployments",), None),
    ("POST", ("deployments",), {"model": "iris"}),
    ("POST", ("deployments", "iris-5001", "stop"), {}),
])
async def test_anonymous_requests_are_forbidden(jp_fetch, mlops_home, method, parts, body):
    code, error = await get_error(jp_fetch, *parts, method=method, body=body,
                                  headers={"Authorization": ""})

    assert code == 403 and set(error) == {"error"}


class TestReadOnlyUser:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return with_authorizer(jp_server_config, read_only_authorizer("mlops_deployments"))

    async def test_can_list_but_not_start_or_stop(self, jp_fetch, standin):
        process, identifier = standin

        assert len((await get_json(jp_fetch, "deployments"))["deployments"]) == 1
        for parts, body in [(("deployments",), {"model": "iris"}),
                            (("deployments", identifier, "stop"), {})]:
            code, _ = await get_error(jp_fetch, *parts, method="POST", body=body)
            assert code == 403
        assert process.poll() is None


@pytest.mark.skipif(not HAS_SERVE, reason="needs the mlops serve command (p13-server)")
async def test_start_list_and_stop_a_real_endpoint(jp_fetch, registered, iris):
    registered("iris", alias="champion", input_example=iris[0].head(5))

    code, started = await post_json(jp_fetch, "deployments",
                                    body={"model": "iris", "alias": "champion"})
    try:
        assert code == 201 and set(started) == {"id", "url", "token"}
        listed = await get_json(jp_fetch, "deployments")
        [item] = listed["deployments"]
        assert item["id"] == started["id"] and item["url"] == started["url"]
        assert item["versions"]["champion"]["version"] in ("1", 1)
        assert started["token"] not in json.dumps(listed)
        log = endpoints.config.serving_dir() / "logs" / f"{started['id']}.log"
        assert started["token"] not in log.read_text()
        models = await get_json(jp_fetch, "models")
        assert models["models"][0]["versions"][0]["deployed"][0]["id"] == started["id"]
    finally:
        code, stopped = await post_json(jp_fetch, "deployments", started["id"], "stop",
                                        body={})
    assert stopped == {"id": started["id"], "stopped": True}
    assert await get_json(jp_fetch, "deployments") == {"deployments": []}
