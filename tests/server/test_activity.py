"""``GET status`` and ``GET events`` against a real Jupyter server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter import config
from mlops_jupyter.activity.contracts import EventList, TrackingStatus
from mlops_jupyter.server import activity

NAMESPACE = "mlops-jupyter"


async def get_json(jp_fetch, *path, **params) -> dict:
    response = await jp_fetch(NAMESPACE, *path, params=params)
    return json.loads(response.body)


async def error_of(jp_fetch, *path, **kwargs) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_status_of_the_configured_store(jp_fetch, seed_runs):
    body = await get_json(jp_fetch, "status")

    TrackingStatus.model_validate(body)
    assert body["store_kind"] == "sqlite" and body["store"] == "sqlite:///…/mlflow.db"
    assert body["reachable"] is True and body["last_store_error"] is None
    assert body["spooled_events"] == 0 and body["sessions"] == []
    assert body["mlflow_ui"] == {"url": None, "proxied": False}  # no proxy in this server


async def test_status_never_shows_a_password(jp_fetch, mlops_home, monkeypatch):
    monkeypatch.setenv(config.TRACKING_URI_ENV, "http://user:secret@127.0.0.1:1/")

    response = await jp_fetch(NAMESPACE, "status")

    assert b"secret" not in response.body and b"user" not in response.body
    body = json.loads(response.body)
    assert body["store"] == "http://***@127.0.0.1:1/"
    assert body["reachable"] is False and body["last_store_error"]
    assert body["mlflow_ui"] == {"url": "http://127.0.0.1:1/", "proxied": False}


async def test_events_of_a_failed_job(jp_fetch, jp_serverapp, registry_home, monkeypatch):
    monkeypatch.delenv(config.JOB_DB_ENV, raising=False)
    since = int(time.time() * 1000) - 1
    store = jp_serverapp.web_app.settings[activity.SERVICE_SETTING].scheduler_host.store
    job = store.create_run_job(str(Path(jp_serverapp.root_dir) / "p" / "pipeline.yaml"), "r1",
                               parameters={}, options={}, scheduler_id="s")
    store.start_job(job["id"])
    store.finish_job(job["id"], "FAILED", error="step train failed: KeyError: 'x'")

    body = await get_json(jp_fetch, "events", since=str(since))

    EventList.model_validate(body)
    assert body["now"] >= since
    [event] = body["events"]
    assert event["kind"] == "pipeline" and event["outcome"] == "failed"
    assert event["title"] == "Pipeline p/pipeline.yaml failed"
    assert event["message"].startswith("step train failed: KeyError: 'x'")
    assert event["link"] == {"kind": "job", "target": str(job["id"]), "label": "Open job"}
    later = await get_json(jp_fetch, "events", since=str(body["now"] + 1000))
    assert later["events"] == []


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", str(2**64)])
async def test_bad_since_is_400_in_one_line(jp_fetch, mlops_home, since):
    code, body = await error_of(jp_fetch, "events", params={"since": since})

    assert code == 400 and set(body) == {"error"} and "\n" not in body["error"]


@pytest.mark.parametrize("path", ["status", "events"])
async def test_anonymous_requests_are_refused(jp_fetch, mlops_home, path):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, path, headers={"Authorization": ""})
    assert caught.value.code == 403
