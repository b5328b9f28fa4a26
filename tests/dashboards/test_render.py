"""Dashboards opened from JupyterLab: ``/mlops-jupyter/dashboards/render/<file>`` renders
the home's published dashboards with Voila's server extension, in a real Jupyter
server with a real kernel — signed dashboards only."""

from __future__ import annotations

import json

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

pytestmark = pytest.mark.slow
NAMESPACE = "mlops-jupyter"


@pytest.fixture
def jp_server_config(jp_root_dir):
    return {
        "ServerApp": {
            "jpserver_extensions": {"mlops_jupyter": True, "voila.server_extension": True,
                                    "jupyter_server_terminals": False},
            "allow_unauthenticated_access": False,
            "root_dir": str(jp_root_dir),
        },
        "MLOpsExtensionApp": {"scheduler_enabled": False},
    }


async def status_of(jp_fetch, *parts, **kwargs) -> tuple[int, str]:
    try:
        response = await jp_fetch(*parts, **kwargs)
    except HTTPClientError as error:
        body = error.response.body.decode(errors="replace") if error.response else ""
        return error.code, body
    return response.code, response.body.decode(errors="replace")


async def test_the_sidebar_link_renders_signed_dashboards_only(jp_fetch, registered,
                                                               registry_home, tmp_path):
    registered("iris")
    response = await jp_fetch(NAMESPACE, "dashboards", method="POST",
                              body=json.dumps({"model": "iris", "template": "health"}))
    (published,) = json.loads(response.body)["dashboards"]
    listing = json.loads((await jp_fetch(NAMESPACE, "dashboards")).body)
    assert listing["voila"] is True
    assert published["url"].endswith(f"{NAMESPACE}/dashboards/render/iris-health.ipynb")

    code, body = await status_of(jp_fetch, NAMESPACE, "dashboards", "render",
                                 "iris-health.ipynb")
    # Voila's page of the notebook (its cells run when the browser opens it).
    assert code == 200 and "<title>iris-health</title>" in body
    assert "voila/templates/lab/static" in body and "celltag_injected-parameters" in body
    assert "Traceback" not in body and str(registry_home) not in body

    # A notebook that only claims to be a dashboard never runs here either.
    marker = tmp_path / "forged-ran"
    forged = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"},
                  "mlops_dashboard": {"model": "iris", "template": "drift"}})
    nbformat.write(forged, registry_home / "dashboards" / "iris-drift.ipynb")
    code, body = await status_of(jp_fetch, NAMESPACE, "dashboards", "render",
                                 "iris-drift.ipynb")
    assert code == 403 and not marker.exists()

    for name in ("nothing.ipynb", "..%2Fmlflow.db", "notes.txt"):
        code, body = await status_of(jp_fetch, NAMESPACE, "dashboards", "render", name)
        assert code == 404, name
        assert "Traceback" not in body and str(registry_home) not in body
    code, _ = await status_of(jp_fetch, NAMESPACE, "dashboards", "render",
                              "iris-health.ipynb", headers={"Authorization": ""},
                              follow_redirects=False)
    assert code in (302, 403)
