"""The models REST API with ``MLFLOW_TRACKING_URI`` set (the ``mlops_home`` fixture):
the server never switches stores and never unpickles a model.

* A gate preview (then a scored gate, then a promotion) leaves the server on the
  configured store: ``GET /models`` still lists the model.
* A REAL malicious pickle registered as a version of the model from an experiment
  whose artifact location the attacker chose: neither the read-only preview nor a
  scored preview nor a promotion loads it; the user gets one 4xx line.
* Scoring is a write: a read-only user gets 403 for ``score: true``.
"""

from __future__ import annotations

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter import config
from mlops_jupyter.registry import register_model, set_alias
from mlops_jupyter.registry.policy import declare_policy, parse_policy
from tests.registry.malicious import plant_foreign_versions
from tests.server.test_models import ReadOnlyUser

NAMESPACE = "mlops-jupyter"


# Scoring starts a process that imports MLflow: on a loaded 2-core machine that alone can
# take longer than jp_fetch's default 20 s. This is a ceiling, not a timed assertion.
SCORING = 300


async def post_json(jp_fetch, *path: str, body: dict):
    response = await jp_fetch(NAMESPACE, *path, method="POST", body=json.dumps(body),
                              request_timeout=SCORING)
    return json.loads(response.body)


async def post_error(jp_fetch, *path: str, body: dict):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, method="POST", body=json.dumps(body),
                       request_timeout=SCORING)
    return caught.value.code, json.loads(caught.value.response.body)


async def listed(jp_fetch) -> dict:
    response = await jp_fetch(NAMESPACE, "models")
    return {model["name"]: model for model in json.loads(response.body)["models"]}


@pytest.fixture
def scored_iris(registry_home, make_run, iris_model, iris, tmp_path):
    """``iris`` v1 (champion) and v2, a gate scored on a holdout file."""
    features, target = iris
    features.assign(target=target).to_csv(tmp_path / "holdout.csv", index=False)
    declare_policy("iris", parse_policy({
        "metric": "accuracy",
        "evaluation": {"data": str(tmp_path / "holdout.csv"), "target": "target"}}))
    for accuracy in (0.9, 0.95):
        register_model(iris_model, "iris", run_id=make_run(metrics={"accuracy": accuracy}))
    set_alias("iris", "champion", 1, reason="first release")
    return "iris"


async def test_gate_then_models_still_lists_the_model(jp_fetch, scored_iris):
    configured = os.environ[config.TRACKING_URI_ENV]
    assert configured != config.default_tracking_uri()
    preview = await post_json(jp_fetch, "models", "iris", "gate", body={"version": "2"})
    assert preview["passed"] is True
    assert "iris" in await listed(jp_fetch)
    scored = await post_json(jp_fetch, "models", "iris", "gate",
                             body={"version": "2", "score": True})
    assert scored["scores"]["source"] == "evaluation"
    assert "iris" in await listed(jp_fetch)
    promoted = await post_json(jp_fetch, "models", "iris", "promote", body={"version": "2"})
    assert promoted["promoted"] is True
    models = await listed(jp_fetch)
    assert models["iris"]["aliases"] == {"champion": "2"}
    assert os.environ[config.TRACKING_URI_ENV] == configured


@pytest.fixture
def attacker(scored_iris, tmp_path):
    """Two malicious versions of ``iris`` from an experiment whose artifacts live
    where the attacker chose."""
    return plant_foreign_versions(tmp_path)


async def test_a_foreign_pickle_is_never_loaded_by_the_server(jp_fetch, attacker, tmp_path):
    versions, marker = attacker
    for version in versions:
        preview = await post_json(jp_fetch, "models", "iris", "gate", body={"version": version})
        assert preview["scores"]["source"] == "run metrics"
        for action, body in (("gate", {"version": version, "score": True}),
                             ("promote", {"version": version})):
            code, error = await post_error(jp_fetch, "models", "iris", action, body=body)
            assert code == 400
            assert error == {"error": "refused model source: outside this registry's "
                                      "artifact store"}
        assert not marker.exists()
    assert str(tmp_path) not in json.dumps(await listed(jp_fetch))
    assert (await listed(jp_fetch))["iris"]["aliases"] == {"champion": "1"}


class TestReadOnlyUser(ReadOnlyUser):
    async def test_may_preview_but_not_score(self, jp_fetch, scored_iris):
        preview = await post_json(jp_fetch, "models", "iris", "gate", body={"version": "2"})
        assert preview["scores"]["source"] == "run metrics"
        code, error = await post_error(jp_fetch, "models", "iris", "gate",
                                       body={"version": "2", "score": True})
        assert code == 403
        assert error == {"error": "scoring versions needs the write permission on "
                                  "mlops_models"}
