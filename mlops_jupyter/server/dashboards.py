"""``/mlops-jupyter/dashboards``: publish Voila dashboards, list them, open them.

Thin handlers over :class:`mlops_jupyter.dashboards.service.DashboardService`
(contracts in :mod:`mlops_jupyter.dashboards.contracts`). Dashboards published from
JupyterLab go to the same folder as ``mlops dashboard publish`` and the demo, the
mlops-jupyter home's ``dashboards/`` (:func:`~mlops_jupyter.dashboards.publish.dashboards_dir`),
so ``mlops dashboard list|serve`` see them. That folder is outside the server root, so
this server renders them itself, with Voila's server extension, at
``dashboards/render/<file>`` behind JupyterLab's own authentication — signed
dashboards only, like ``mlops dashboard serve``.

====================================  ===============================================
``GET dashboards``                    ``{dashboards: [{file, model, template,
                                      published, path, url}], folder, templates,
                                      voila}`` (``path``: relative to the home;
                                      ``voila``: the Voila server extension is
                                      enabled, so the URLs work)
``POST dashboards``                   ``{model, template?}`` (``template``: overview,
                                      drift, health or all; default drift) → 201
                                      ``{dashboards: [...]}`` the published ones
``GET dashboards/render/<file>``      the dashboard's page (HTML, rendered by Voila)
====================================  ===============================================

Errors: 400 bad name or template, 404 unknown model, 503 store unavailable; never
an absolute path. Authorization: resource ``mlops_dashboards``, ``read`` / ``write``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..dashboards.contracts import DashboardList, DashboardRequest, PublishedDashboards
from ..dashboards.service import DashboardService
from .base import Endpoint, MLOpsHandler
from .dashboard_render import SERVICE_SETTING, DashboardRenderHandler

AUTH_RESOURCE = "mlops_dashboards"
RENDER_PATH = "mlops-jupyter/dashboards/render"


class DashboardsHandler(MLOpsHandler):
    """``GET`` lists the published dashboards, ``POST`` publishes one (or all)."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    service: DashboardService
    contract = {
        "get": Endpoint("The published dashboards", response=DashboardList),
        "post": Endpoint("Publish a model's dashboard (or all of them)",
                         body=DashboardRequest, response=PublishedDashboards, status=201),
    }

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        voila = "voila_jinja2_env" in self.settings
        self.render(await asyncio.to_thread(self.service.list_dashboards, voila))

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(DashboardRequest)
        self.render(await asyncio.to_thread(self.service.publish, body), status=201)


handlers = [
    (r"/dashboards/?", DashboardsHandler),
    (r"/dashboards/render/(.*)", DashboardRenderHandler),
]
