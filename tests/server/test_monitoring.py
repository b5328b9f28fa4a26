"""``GET /mlops-jupyter/monitoring`` against a real Jupyter server and real drift checks."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.monitoring.checks import run_check
from mlops_jupyter.monitoring.spec import parse_monitor
from mlops_jupyter.registry import register_model
from tests.registry import conftest as registry_fixtures

_empty_store = registry_fixtures._empty_store
iris = registry_fixtures.iris
iris_model = registry_fixtures.iris_model
make_run = registry_fixtures.make_run
registry_home = registry_fixtures.registry_home


async def test_no_checks_is_an_empty_list(jp_fetch, registry_home):
    response = await jp_fetch("mlops-jupyter", "monitoring")
    assert json.loads(response.body) == {"models": []}


async def test_latest_verdict_history_alerts(jp_fetch, registry_home, make_run, iris_model,
                                             iris, tmp_path):
    features, _ = iris
    register_model(iris_model, "iris", run_id=make_run(), alias="champion", reference=features)
    spec = parse_monitor({"model": "iris", "rules": [
        {"name": "drift", "drift_share_above": 0.4}]}, root=tmp_path)
    shifted = features.copy()
    for column in features.columns[:3]:
        shifted[column] = shifted[column] + 3 * shifted[column].std()
    clean = run_check(spec, current=features, report=False)
    drifted = run_check(spec, current=shifted, report=False)

    body = json.loads((await jp_fetch("mlops-jupyter", "monitoring")).body)
    (model,) = body["models"]
    assert model["model"] == "iris" and model["checks"] == 2
    assert model["latest"]["run_id"] == drifted["run_id"]
    assert model["latest"]["dataset_drift"] is True and model["latest"]["version"] == "1"
    assert [point["run_id"] for point in model["history"]] == [clean["run_id"],
                                                                drifted["run_id"]]
    assert [point["drift_share"] for point in model["history"]] == [0.0, 0.75]
    (alert,) = model["alerts"]
    assert alert["rule"] == "drift" and alert["run_id"] == drifted["run_id"]
    assert str(tmp_path) not in json.dumps(body)


async def test_anonymous_is_refused(jp_fetch, registry_home):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops-jupyter", "monitoring", headers={"Authorization": ""})
    assert caught.value.code == 403
