"""Every mlops-jupyter handler asks the server's authorizer, with its own resource."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

NAMESPACE = "mlops-jupyter"
REFUSED = {"mlops_experiments", "mlops_monitoring", "mlops_api", "mlops_deployments"}


class NoTrackingAuthorizer(Authorizer):
    """Refuses the experiments, monitoring, deployments and API-document resources;
    allows the rest."""

    def is_authorized(self, handler, user, action, resource) -> bool:
        return resource not in REFUSED


@pytest.fixture
def jp_server_config(jp_server_config):
    return {**jp_server_config, "ServerApp": {**jp_server_config["ServerApp"],
                                              "authorizer_class": NoTrackingAuthorizer}}


@pytest.mark.parametrize("path", [("experiments",), ("experiments", "1", "runs"),
                                  ("monitoring",), ("deployments",), ("openapi.json",)])
async def test_refused_resources_answer_403(jp_fetch, mlops_home, path):
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path)

    assert caught.value.code == 403
    assert set(json.loads(caught.value.response.body)) == {"error"}


async def test_other_resources_stay_allowed(jp_fetch, registry_home):
    response = await jp_fetch(NAMESPACE, "models")

    assert json.loads(response.body) == {"models": []}
