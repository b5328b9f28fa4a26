"""The OpenAPI document: generated from the handlers' declared contracts, committed for
the sidebar's TypeScript types, served authenticated; and services swapped through
the app's ``Type`` traits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.monitoring.contracts import MonitoringOverview
from mlops_jupyter.monitoring.service import MonitoringService
from mlops_jupyter.server import openapi
from mlops_jupyter.server.routes import api_handlers

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "labextension" / "openapi.json"
NAMESPACE = "mlops-jupyter"


def test_committed_document_is_the_generated_one():
    assert COMMITTED.read_text(encoding="utf-8") == openapi.document_text(), (
        "labextension/openapi.json is out of date: run "
        "python -m mlops_jupyter.server.openapi --write labextension/openapi.json")


def test_document_is_valid_openapi_3_1():
    # The OpenAPI 3.1 meta-schema, as schemathesis ships and applies it.
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    document = openapi.build_document(api_handlers())

    assert [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(document)] == []


def test_check_command_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}")

    assert openapi.main(["--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert openapi.main(["--write", str(stale)]) == 0
    assert openapi.main(["--check", str(stale)]) == 0


def test_every_handler_method_declares_its_contract():
    assert openapi.undeclared_operations(api_handlers()) == []


def test_document_shape():
    document = openapi.build_document(api_handlers())

    assert document["openapi"] == "3.1.0"
    promote = document["paths"]["/mlops-jupyter/models/{name}/promote"]["post"]
    assert promote["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PromoteRequest"}
    assert promote["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PromoteResult"}
    assert promote["responses"]["4XX"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    assert promote["parameters"][0]["name"] == "name"
    runs = document["paths"]["/mlops-jupyter/experiments/{experiment_id}/runs"]["get"]
    assert [p["name"] for p in runs["parameters"]] == [
        "experiment_id", "status", "max_results", "page_token", "filter", "order_by", "parent"]
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    assert schemas["PromoteRequest"]["additionalProperties"] is False
    assert {"ModelList", "ModelDetail", "GateVerdict", "RunsPage", "MonitoringOverview",
            "DashboardList"} <= set(schemas)


def test_path_parameters_follow_the_pattern_groups():
    class Handler(openapi.MLOpsHandler):
        def post(self, name, action):
            pass

    path, parameters = openapi.openapi_path(r"/things/([^/]+)/(pause|resume)/?", Handler,
                                            "post")

    assert path == "/mlops-jupyter/things/{name}/{action}"
    assert parameters[1] == ("action", {"type": "string", "enum": ["pause", "resume"]})


async def test_served_document_needs_authentication(jp_fetch):
    served = json.loads((await jp_fetch(NAMESPACE, "openapi.json")).body)
    assert served == openapi.build_document(api_handlers())

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, "openapi.json", headers={"Authorization": ""})
    assert caught.value.code == 403


class CannedMonitoring(MonitoringService):
    """A monitoring service that answers without a store (shows the ``Type`` seam)."""

    def overview(self) -> MonitoringOverview:
        return MonitoringOverview(models=[])


class TestSwappedService:
    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {**jp_server_config, "MLOpsExtensionApp": {
            **jp_server_config["MLOpsExtensionApp"],
            "monitoring_service_class": CannedMonitoring}}

    async def test_handlers_use_the_configured_service_class(self, jp_fetch, jp_serverapp):
        from mlops_jupyter.server.monitoring import SERVICE_SETTING

        assert isinstance(jp_serverapp.web_app.settings[SERVICE_SETTING], CannedMonitoring)
        body = json.loads((await jp_fetch(NAMESPACE, "monitoring")).body)
        assert body == {"models": []}
