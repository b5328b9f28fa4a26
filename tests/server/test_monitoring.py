"""``GET /mlops-jupyter/monitoring`` against a real Jupyter server and real drift checks."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError


async def test_no_checks_is_an_empty_list(jp_fetch, registry_home):
    response = await jp_fetch("mlops-jupyter", "monitoring")
    assert json.loads(response.body) == {"models": []}


async def test_latest_verdict_history_alerts(jp_fetch, monitored_iris, tmp_path):
    clean = monitored_iris(drifted=False)
    drifted = monitored_iris(drifted=True)

    body = json.loads((await jp_fetch("mlops-jupyter", "monitoring")).body)
    (model,) = body["models"]
    assert model["model"] == "iris" and model["checks"] == 2
    assert model["latest"]["run_id"] == drifted["run_id"]
    assert model["latest"]["dataset_drift"] is True and model["latest"]["version"] == "1"
    assert [point["run_id"] for point in model["history"]] == [clean["run_id"],
                                                                drifted["run_id"]]
    assert [point["drift_share"] for point in model["history"]] == [0.0, 0.75]
    (alert,) = model["alerts"]
    assert alert["rule"] == "too-much-drift" and alert["run_id"] == drifted["run_id"]
    assert str(tmp_path) not in json.dumps(body)


async def test_anonymous_is_refused(jp_fetch, registry_home):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops-jupyter", "monitoring", headers={"Authorization": ""})
    assert caught.value.code == 403
