"""The models REST API against a real Jupyter server and a real MLflow registry
(SQLite store, sklearn models trained in the test)."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from mlops_jupyter.registry import alias_history, set_alias
from mlops_jupyter.registry import common as registry_common
from mlops_jupyter.registry.listing import list_models

NAMESPACE = "mlops-jupyter"


async def get_json(jp_fetch, *path: str, **params: str):
    response = await jp_fetch(NAMESPACE, *path, params=params)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def post_json(jp_fetch, *path: str, body: dict, **kwargs):
    response = await jp_fetch(NAMESPACE, *path, method="POST", body=json.dumps(body), **kwargs)
    return json.loads(response.body)


async def get_error(jp_fetch, *path: str, method: str = "GET", body=None, **kwargs):
    if body is not None:
        kwargs["body"] = json.dumps(body) if isinstance(body, dict) else body
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


@pytest.fixture
def iris_registry(registered):
    """``iris``: v1 accuracy 0.90 (champion), v2 0.95, v3 0.80; ``other``: v1 (no alias)."""
    registered("iris", metrics={"accuracy": 0.90, "f1": 0.88})
    registered("iris", metrics={"accuracy": 0.95, "f1": 0.93})
    registered("iris", metrics={"accuracy": 0.80, "f1": 0.75})
    registered("other", metrics={"rmse": 2.5})
    set_alias("iris", "champion", 1, reason="first release")
    return "iris"


def _aliases(name: str) -> dict:
    return {k: str(v) for k, v in (registry_common.get_registered_model(name).aliases or {}).items()}


# --- reads -------------------------------------------------------------------------------


async def test_lists_models_with_versions_metrics_and_aliases(jp_fetch, iris_registry):
    body = await get_json(jp_fetch, "models")

    models = body["models"]
    assert [model["name"] for model in models] == ["iris", "other"]
    iris_entry = models[0]
    assert iris_entry["aliases"] == {"champion": "1"}
    assert iris_entry["latest_version"] == "3"
    versions = iris_entry["versions"]
    assert [v["version"] for v in versions] == ["3", "2", "1"]
    v3, v2, v1 = versions
    assert v1["aliases"] == ["champion"] and v2["aliases"] == [] == v3["aliases"]
    assert v2["metrics"] == {"accuracy": 0.95, "f1": 0.93}
    assert v1["status"] == "READY"
    assert v1["run_id"] and v1["run_status"] == "FINISHED"
    assert isinstance(v1["created"], int)
    assert v1["flavor"] == "sklearn"
    assert models[1]["versions"][0]["metrics"] == {"rmse": 2.5}


async def test_detail_has_versions_and_alias_history(jp_fetch, iris_registry):
    body = await get_json(jp_fetch, "models", "iris")

    assert body["name"] == "iris"
    assert [v["version"] for v in body["versions"]] == ["3", "2", "1"]
    assert [(e["action"], e["alias"], e["to_version"], e["reason"]) for e in body["history"]] \
        == [("set", "champion", "1", "first release")]


async def test_lineage_by_version_and_alias(jp_fetch, iris_registry):
    by_alias = await get_json(jp_fetch, "models", "iris", "lineage", ref="@champion")
    by_version = await get_json(jp_fetch, "models", "iris", "lineage", ref="1")

    assert by_alias["lineage"]["model"]["version"] == "1"
    assert by_alias["lineage"]["model"]["aliases"] == ["champion"]
    assert by_alias["lineage"]["run"]["metrics"]["accuracy"] == 0.90
    assert by_alias["tree"].startswith("iris v1 [champion] (sklearn)")
    assert "└─ run " in by_alias["tree"]
    assert by_version == by_alias


@pytest.mark.parametrize(("path", "params", "status", "mentions"), [
    (("models", "nope"), {}, 404, "no registered model named 'nope'"),
    (("models", "nope", "lineage"), {"ref": "1"}, 404, "nope"),
    (("models", "iris", "lineage"), {"ref": "9"}, 404, "has no version 9"),
    (("models", "iris", "lineage"), {"ref": "@challenger"}, 404, "no alias 'challenger'"),
    (("models", "iris", "lineage"), {}, 400, "ref is required"),
    (("models", "bad name!"), {}, 400, "invalid model name"),
])
async def test_read_errors(jp_fetch, iris_registry, path, params, status, mentions):
    code, body = await get_error(jp_fetch, *path, params=params)

    assert code == status
    assert mentions in body["error"]


# --- gate preview, promote, rollback ---------------------------------------------------------


async def test_gate_preview_gives_the_verdict_and_changes_nothing(jp_fetch, iris_registry):
    before = alias_history("iris")
    verdict = await post_json(jp_fetch, "models", "iris", "gate", body={
        "version": "2", "alias": "champion", "thresholds": ["accuracy >= 0.9"], "margin": 0.01})

    assert verdict["passed"] is True
    assert verdict["candidate"] == "2" and verdict["holder"] == "1"
    assert [check["kind"] for check in verdict["checks"]] == ["threshold", "comparison"]
    failing = await post_json(jp_fetch, "models", "iris", "gate", body={
        "version": 3, "thresholds": ["accuracy >= 0.9"]})
    assert failing["passed"] is False
    assert any("accuracy = 0.8 fails" in reason for reason in failing["reasons"])
    assert _aliases("iris") == {"champion": "1"}
    assert alias_history("iris") == before


async def test_the_declared_gate_is_used_when_the_request_leaves_it_out(
        jp_fetch, iris_registry, iris, tmp_path):
    from mlops_jupyter.registry.policy import declare_policy, parse_policy

    features, target = iris
    features.assign(target=target).to_csv(tmp_path / "holdout.csv", index=False)
    declare_policy("iris", parse_policy({
        "thresholds": ["f1 >= 0.9"], "margin": 0.0,
        "evaluation": {"data": str(tmp_path / "holdout.csv"), "target": "target"}}))
    listed = {m["name"]: m for m in (await get_json(jp_fetch, "models"))["models"]}
    assert listed["iris"]["gate_policy"]["evaluation"] == {"data": "holdout.csv",
                                                           "target": "target"}
    preview = await post_json(jp_fetch, "models", "iris", "gate", body={"version": "2"})
    assert preview["scores"]["source"] == "run metrics"  # a preview loads no model
    assert preview["scorable"] is True
    verdict = await post_json(jp_fetch, "models", "iris", "gate",
                              body={"version": "2", "score": True},
                              request_timeout=300)  # a scoring process imports MLflow
    assert verdict["declared"] is True and verdict["policy"]["thresholds"] == ["f1 >= 0.9"]
    assert verdict["scores"]["source"] == "evaluation"  # v2 and champion v1 both scored
    assert verdict["scores"]["candidate"] == verdict["scores"]["holder"]  # the same model
    assert verdict["passed"] is True
    assert str(tmp_path) not in json.dumps(verdict)  # no server path leaks to clients
    overridden = await post_json(jp_fetch, "models", "iris", "gate", body={
        "version": "3", "thresholds": ["f1 >= 0.5"]})
    assert overridden["policy"]["thresholds"] == ["f1 >= 0.5"]


async def test_promote_through_the_gate(jp_fetch, iris_registry):
    result = await post_json(jp_fetch, "models", "iris", "promote", body={
        "version": "2", "alias": "champion", "thresholds": ["accuracy >= 0.9"],
        "margin": 0.01, "reason": "better"})

    assert result["promoted"] is True
    assert result["verdict"]["passed"] is True
    assert result["entry"]["action"] == "set"
    assert result["entry"]["from_version"] == "1" and result["entry"]["to_version"] == "2"
    assert result["entry"]["actor"]  # the Jupyter user
    assert _aliases("iris") == {"champion": "2"}
    listed = {m["name"]: m for m in (await get_json(jp_fetch, "models"))["models"]}
    assert listed["iris"]["aliases"] == {"champion": "2"}
    assert listed["iris"]["versions"][1]["gate"]["passed"] is True


async def test_a_refused_promotion_is_200_promoted_false_and_recorded(jp_fetch, iris_registry):
    result = await post_json(jp_fetch, "models", "iris", "promote", body={
        "version": "3", "thresholds": ["accuracy >= 0.9"]})

    assert result["promoted"] is False
    assert result["verdict"]["passed"] is False
    assert len(result["verdict"]["reasons"]) == 2  # threshold and the comparison
    assert result["entry"]["action"] == "refused"
    assert _aliases("iris") == {"champion": "1"}
    history = (await get_json(jp_fetch, "models", "iris"))["history"]
    assert [entry["action"] for entry in history] == ["set", "refused"]


async def test_force_needs_a_reason_and_is_recorded(jp_fetch, iris_registry):
    code, body = await get_error(jp_fetch, "models", "iris", "promote", method="POST", body={
        "version": "3", "thresholds": ["accuracy >= 0.9"], "force": True})
    assert code == 400
    assert "requires a reason" in body["error"]
    assert _aliases("iris") == {"champion": "1"}

    result = await post_json(jp_fetch, "models", "iris", "promote", body={
        "version": "3", "thresholds": ["accuracy >= 0.9"], "force": True,
        "reason": "hotfix for incident 42"})
    assert result["promoted"] is True and result["verdict"]["passed"] is False
    assert result["entry"]["action"] == "forced" and result["entry"]["forced"] is True
    assert _aliases("iris") == {"champion": "3"}


async def test_rollback_moves_the_alias_back(jp_fetch, iris_registry):
    await post_json(jp_fetch, "models", "iris", "promote", body={"version": "2"})
    assert _aliases("iris") == {"champion": "2"}

    result = await post_json(jp_fetch, "models", "iris", "rollback",
                             body={"alias": "champion", "reason": "v2 misbehaves"})

    assert result["entry"]["action"] == "rollback"
    assert result["entry"]["from_version"] == "2" and result["entry"]["to_version"] == "1"
    assert result["entry"]["reason"] == "v2 misbehaves"
    assert _aliases("iris") == {"champion": "1"}
    code, body = await get_error(jp_fetch, "models", "iris", "rollback", method="POST",
                                 body={})
    assert code == 400 and "no previous holder" in body["error"]


@pytest.mark.parametrize(("body", "mentions"), [
    ({"alias": "champion"}, "needs a reason"),
    ({"alias": "champion", "reason": "  "}, "needs a reason"),
    ({"alias": "champion", "reason": "a\nb"}, "one line"),
    ({"alias": "champion", "reason": "x" * 501}, "at most 500"),
    ({"alias": "champion", "reason": 7}, "one line of text"),
])
async def test_rollback_needs_one_bounded_line_of_reason(jp_fetch, iris_registry, body,
                                                         mentions):
    await post_json(jp_fetch, "models", "iris", "promote", body={"version": "2"})
    before = alias_history("iris")

    code, error = await get_error(jp_fetch, "models", "iris", "rollback", method="POST",
                                  body=body)

    assert code == 400 and mentions in error["error"] and "\n" not in error["error"]
    assert _aliases("iris") == {"champion": "2"}
    assert alias_history("iris") == before


@pytest.mark.parametrize(("action", "body", "status", "mentions"), [
    ("promote", {"version": "2", "thresholds": ["accuracy >>= 0.9"]}, 400,
     "malformed gate expression"),
    ("gate", {"version": "2", "thresholds": ["accuracy"]}, 400, "malformed gate expression"),
    ("gate", {"version": "2", "thresholds": [0.9]}, 400, "list of strings"),
    ("promote", {"version": "2", "margin": -1}, 400, "margin"),
    ("promote", {}, 400, "version is required"),
    ("promote", {"version": "2", "colour": "red"}, 400, "unknown field 'colour'"),
    ("promote", {"version": "x1"}, 400, "invalid model version"),
    ("promote", {"version": "9"}, 404, "has no version 9"),
    ("gate", {"version": "9"}, 404, "has no version 9"),
    ("promote", {"version": "2", "alias": "latest"}, 400, "reserved"),
    ("rollback", {"alias": "challenger"}, 400, "no previous holder"),
])
async def test_write_errors_change_nothing(jp_fetch, iris_registry, action, body, status,
                                           mentions):
    before = alias_history("iris")

    code, error = await get_error(jp_fetch, "models", "iris", action, method="POST", body=body)

    assert code == status, error
    assert mentions in error["error"]
    assert _aliases("iris") == {"champion": "1"}
    assert alias_history("iris") == before


async def test_unknown_model_on_writes_is_404(jp_fetch, iris_registry):
    for action, body in (("promote", {"version": "1"}), ("rollback", {}),
                         ("gate", {"version": "1"})):
        code, error = await get_error(jp_fetch, "models", "ghost", action, method="POST",
                                      body=body)
        assert code == 404, (action, error)


# --- authentication and authorization ----------------------------------------------------------


@pytest.mark.parametrize(("method", "parts", "body"), [
    ("GET", ("models",), None),
    ("GET", ("models", "iris"), None),
    ("GET", ("models", "iris", "lineage"), None),
    ("POST", ("models", "iris", "gate"), {"version": "2"}),
    ("POST", ("models", "iris", "promote"), {"version": "2"}),
    ("POST", ("models", "iris", "rollback"), {}),
])
async def test_anonymous_requests_are_forbidden(jp_fetch, iris_registry, method, parts, body):
    code, error = await get_error(jp_fetch, *parts, method=method, body=body,
                                  params={"ref": "1"}, headers={"Authorization": ""})

    assert code == 403
    assert set(error) == {"error"}
    assert _aliases("iris") == {"champion": "1"}


class ReadOnlyAuthorizer(Authorizer):
    """Everything allowed except writing the model registry."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return not (resource == "mlops_models" and action == "write")


class ReadOnlyUser:
    """A server whose users may read the model registry but not write it."""

    @pytest.fixture
    def jp_server_config(self):
        return {
            "ServerApp": {
                "jpserver_extensions": {"mlops_jupyter": True,
                                        "jupyter_server_terminals": False},
                "allow_unauthenticated_access": False,
                "authorizer_class": ReadOnlyAuthorizer,
            },
            "MLOpsExtensionApp": {"scheduler_enabled": False},
        }


class TestReadOnlyUser(ReadOnlyUser):
    async def test_can_browse_but_not_promote_or_roll_back(self, jp_fetch, iris_registry):
        assert (await get_json(jp_fetch, "models"))["models"][0]["name"] == "iris"
        assert (await get_json(jp_fetch, "models", "iris"))["aliases"] == {"champion": "1"}
        await get_json(jp_fetch, "models", "iris", "lineage", ref="1")
        preview = await post_json(jp_fetch, "models", "iris", "gate", body={"version": "2"})
        assert preview["passed"] is True

        for action, body in (("promote", {"version": "2"}), ("rollback", {})):
            code, error = await get_error(jp_fetch, "models", "iris", action, method="POST",
                                          body=body)
            assert code == 403
            assert error == {"error": "User is not authorized to write on resource: "
                                      "mlops_models."}
        assert _aliases("iris") == {"champion": "1"}
        assert [entry["action"] for entry in alias_history("iris")] == ["set"]


# --- performance --------------------------------------------------------------------------------


def test_listing_500_versions_is_fast_and_batched(registry_home, make_run, monkeypatch):
    """500 versions (metadata only, no artifacts) list in well under 200 ms, with
    run metrics fetched in batches rather than one get_run per version."""
    from mlops_jupyter.tracking import store

    client = store.client()
    client.create_registered_model("bulk")
    run_ids = [make_run(metrics={"accuracy": 0.5 + i / 1000}) for i in range(50)]
    for i in range(500):
        client.create_model_version("bulk", str(registry_home / "artifacts" / f"bulk-{i}"),
                                    run_id=run_ids[i % 50])
    client.set_registered_model_alias("bulk", "champion", "500")

    calls = {"get_run": 0}
    original = type(client).get_run

    def counting_get_run(self, *args, **kwargs):
        calls["get_run"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(client), "get_run", counting_get_run)
    models = list_models()

    # Batched reads, no get_run per version (timings: benchmarks/bench_registry.py).
    assert len(models[0]["versions"]) == 500
    assert models[0]["versions"][0]["aliases"] == ["champion"]
    assert models[0]["versions"][-1]["metrics"] == {"accuracy": 0.5}
    assert calls["get_run"] == 0
