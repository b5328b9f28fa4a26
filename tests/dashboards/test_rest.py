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
        "MLOpsExtensionApp": {"scheduler_enabled": False},
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
    assert listing["dashboards"] == [] and listing["folder"] == "dashboards"
    assert set(listing["templates"]) == {"overview", "drift", "health", "production"}
    assert listing["voila"] is False  # only our extension runs in this test server

    response = await jp_fetch(NAMESPACE, "dashboards", method="POST",
                              body=json.dumps({"model": "iris"}))
    assert response.code == 201
    (published,) = json.loads(response.body)["dashboards"]
    assert published["template"] == "drift" and published["path"] == "dashboards/iris-drift.ipynb"
    # Rendered by this server (the folder is in the home, outside the server root).
    assert published["url"] == f"{jp_base_url}{NAMESPACE}/dashboards/render/iris-drift.ipynb"
    assert (registry_home / "dashboards" / "iris-drift.ipynb").is_file()
    assert not (jp_root_dir / "dashboards").exists()

    response = await jp_fetch(NAMESPACE, "dashboards", method="POST",
                              body=json.dumps({"model": "iris", "template": "all"}))
    assert [item["template"] for item in json.loads(response.body)["dashboards"]] == [
        "overview", "drift", "health", "production"]
    listing = json.loads((await jp_fetch(NAMESPACE, "dashboards")).body)
    assert [item["file"] for item in listing["dashboards"]] == [
        "iris-overview.ipynb", "iris-drift.ipynb", "iris-health.ipynb",
        "iris-production.ipynb"]
    # Without Voila's server extension there is no page to render.
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, "dashboards", "render", "iris-drift.ipynb")
    assert caught.value.code == 404


async def test_the_cli_lists_what_the_server_published(jp_fetch, registered, registry_home,
                                                       capsys):
    """One dashboards folder: the sidebar's, the CLI's and the demo's."""
    from mlops_jupyter import cli
    from mlops_jupyter.dashboards.publish import publish

    registered("iris")
    await jp_fetch(NAMESPACE, "dashboards", method="POST",
                   body=json.dumps({"model": "iris", "template": "health"}))
    assert cli.main(["dashboard", "list", "--json"]) == 0
    assert [item["file"] for item in json.loads(capsys.readouterr().out)] == [
        "iris-health.ipynb"]
    publish("iris", "overview")  # what `mlops dashboard publish` and the demo write
    listing = json.loads((await jp_fetch(NAMESPACE, "dashboards")).body)
    assert [item["file"] for item in listing["dashboards"]] == [
        "iris-overview.ipynb", "iris-health.ipynb"]


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
    assert not (registry_home / "dashboards").exists() or \
        not list((registry_home / "dashboards").iterdir())
