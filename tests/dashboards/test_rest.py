"""``/mlops-jupyter/dashboards`` against a real Jupyter server and a real registry."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

NAMESPACE = "mlops-jupyter"


@pytest.fixture
def jp_server_config(jp_root_dir):
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True, "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
            "root_dir": str(jp_root_dir),
        },
        "MLOpsExtensionApp": {"scheduler_enabled": False, "dashboards_dir": "team/dash"},
    }


async def error_of(jp_fetch, method: str = "GET", body=None, **kwargs):
    if body is not None:
        kwargs["body"] = json.dumps(body) if isinstance(body, dict) else body
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, "dashboards", method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def test_publish_and_list(jp_fetch, jp_root_dir, jp_base_url, registered,
                                registry_home):
    registered("iris")
    listing = json.loads((await jp_fetch(NAMESPACE, "dashboards")).body)
    assert listing["dashboards"] == [] and listing["folder"] == "team/dash"
    assert set(listing["templates"]) == {"overview", "drift", "health"}
    assert listing["voila"] is False  # only our extension runs in this test server

    response = await jp_fetch(NAMESPACE, "dashboards", method="POST",
                              body=json.dumps({"model": "iris"}))
    assert response.code == 201
    (published,) = json.loads(response.body)["dashboards"]
    assert published["template"] == "drift" and published["path"] == "team/dash/iris-drift.ipynb"
    # Under the server's base URL, where Voila's server extension renders it.
    assert published["url"] == f"{jp_base_url}voila/render/team/dash/iris-drift.ipynb"
    assert (jp_root_dir / "team" / "dash" / "iris-drift.ipynb").is_file()

    response = await jp_fetch(NAMESPACE, "dashboards", method="POST",
                              body=json.dumps({"model": "iris", "template": "all"}))
    assert [item["template"] for item in json.loads(response.body)["dashboards"]] == [
        "overview", "drift", "health"]
    listing = json.loads((await jp_fetch(NAMESPACE, "dashboards")).body)
    assert [item["file"] for item in listing["dashboards"]] == [
        "iris-overview.ipynb", "iris-drift.ipynb", "iris-health.ipynb"]


async def test_bad_requests_are_one_line_errors(jp_fetch, jp_root_dir, registered,
                                                registry_home):
    registered("iris")
    code, body = await error_of(jp_fetch, "POST", {"model": "nope"})
    assert code == 404 and body == {"error": "no registered model named 'nope'"}
    code, body = await error_of(jp_fetch, "POST", {"model": "../../etc"})
    assert code == 400 and "invalid model name" in body["error"]
    code, body = await error_of(jp_fetch, "POST", {"model": "iris", "template": "../x"})
    assert code == 400 and "unknown dashboard template" in body["error"]
    code, body = await error_of(jp_fetch, "POST", {"model": "iris", "out_dir": "/etc"})
    assert code == 400 and "unknown field 'out_dir'" in body["error"]
    code, body = await error_of(jp_fetch, "POST", "not json")
    assert code == 400 and body == {"error": "the request body must be JSON"}
    code, _ = await error_of(jp_fetch, headers={"Authorization": ""})
    assert code == 403
    code, _ = await error_of(jp_fetch, "POST", {"model": "iris"}, headers={"Authorization": ""})
    assert code == 403
    assert not (jp_root_dir / "team").exists()
