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


# --- history, report, check now --------------------------------------------------------

async def _error(jp_fetch, *path, method="GET", body=None):
    kwargs = {"body": body} if body is not None else {}
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops-jupyter", *path, method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)["error"]


async def test_history_is_bounded_and_oldest_first(jp_fetch, monitored_iris):
    first = monitored_iris(drifted=False)
    second = monitored_iris(drifted=True)
    third = monitored_iris(drifted=False)

    body = json.loads((await jp_fetch("mlops-jupyter", "monitoring", "iris", "history")).body)
    assert body["model"] == "iris"
    assert [p["run_id"] for p in body["checks"]] == [first["run_id"], second["run_id"],
                                                     third["run_id"]]
    assert [p["dataset_drift"] for p in body["checks"]] == [False, True, False]
    newest = json.loads((await jp_fetch("mlops-jupyter", "monitoring", "iris", "history",
                                        params={"limit": "2"})).body)
    assert [p["run_id"] for p in newest["checks"]] == [second["run_id"], third["run_id"]]


@pytest.mark.parametrize(("path", "params", "status", "mentions"), [
    (("iris", "history"), {"limit": "0"}, 400, "between 1 and 500"),
    (("iris", "history"), {"limit": "501"}, 400, "between 1 and 500"),
    (("iris", "history"), {"limit": "many"}, 400, "whole number"),
    (("ghost", "history"), {}, 404, "no drift checks"),
    (("bad name!", "history"), {}, 400, "invalid model name"),
])
async def test_history_bad_input_is_one_line(jp_fetch, monitored_iris, path, params, status,
                                             mentions):
    monitored_iris(drifted=False)
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("mlops-jupyter", "monitoring", *path, params=params)
    error = json.loads(caught.value.response.body)["error"]
    assert caught.value.code == status and mentions in error and "\n" not in error


async def test_report_is_served_sandboxed(jp_fetch, monitored_iris, iris, tmp_path):
    from mlops_jupyter.monitoring.checks import run_check
    from mlops_jupyter.monitoring.spec import parse_monitor

    monitored_iris(drifted=False)  # registers iris v1 with its reference profile
    features, _ = iris
    result = run_check(parse_monitor({"model": "iris"}, root=tmp_path), current=features,
                       report=True)

    response = await jp_fetch("mlops-jupyter", "monitoring", "checks", result["run_id"],
                              "report")
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;") and "default-src 'none'" in policy
    assert b"<html" in response.body[:5000].lower()
    assert str(tmp_path).encode() not in response.body


async def test_report_of_unknown_or_malformed_check(jp_fetch, monitored_iris):
    no_report = monitored_iris(drifted=False)  # report=False: nothing stored
    assert await _error(jp_fetch, "monitoring", "checks", "0" * 32, "report") == (
        404, f"no drift check {'0' * 32}")
    code, error = await _error(jp_fetch, "monitoring", "checks", no_report["run_id"], "report")
    assert code == 404 and "kept no Evidently report" in error
    code, error = await _error(jp_fetch, "monitoring", "checks", "a-b", "report")
    assert code == 400 and "letters and digits" in error


async def test_check_now_unknown_monitor_is_404(jp_fetch, monitored_iris):
    monitored_iris(drifted=False)
    code, error = await _error(jp_fetch, "monitoring", "iris", "check", method="POST", body="{}")
    assert code == 404 and "no schedule runs a monitor.yaml for model 'iris'" in error
    code, error = await _error(jp_fetch, "monitoring", "no such!", "check", method="POST",
                               body="{}")
    assert code == 400 and "invalid model name" in error


async def test_check_now_runs_the_monitor_as_a_job(jp_fetch, jp_root_dir, monitored_iris, iris):
    import asyncio

    monitored_iris(drifted=False)
    features, _ = iris
    project = jp_root_dir / "watch"
    project.mkdir()
    features.to_csv(project / "current.csv", index=False)
    (project / "monitor.yaml").write_text(
        "monitor:\n  model: iris@champion\n  current: current.csv\n")
    await jp_fetch("mlops-jupyter", "schedules", method="POST", body=json.dumps(
        {"target": "watch/monitor.yaml", "cron": "0 0 1 1 *", "name": "watch-iris"}))

    response = await jp_fetch("mlops-jupyter", "monitoring", "iris", "check", method="POST",
                              body="{}")
    started = json.loads(response.body)
    assert response.code == 202 and started["schedule"] == "watch-iris"
    job = started
    for _ in range(600):  # the job process imports MLflow and Evidently: give it time
        job = json.loads((await jp_fetch("mlops-jupyter", "jobs", str(started["job_id"]))).body)
        if job["status"] not in ("QUEUED", "RUNNING"):
            break
        await asyncio.sleep(0.5)
    assert job["status"] == "SUCCEEDED", job
    history = json.loads((await jp_fetch("mlops-jupyter", "monitoring", "iris", "history")).body)
    assert history["checks"][-1]["run_id"] == job["mlflow_run_id"]
