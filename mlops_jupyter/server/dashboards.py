"""``/mlops-jupyter/dashboards``: publish Voila dashboards, list them, open them.

Thin handlers over :mod:`mlops_jupyter.dashboards.publish`. Dashboards published from
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
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..dashboards import publish
from ..exceptions import MLOpsError, UsageError
from ..pipelines.workspace import Workspace
from .base import MLOpsHandler
from .dashboard_render import DashboardRenderHandler
from .schemas import DashboardRequest

AUTH_RESOURCE = "mlops_dashboards"
RENDER_PATH = "mlops-jupyter/dashboards/render"


class DashboardsHandler(MLOpsHandler):
    """``GET`` lists the published dashboards, ``POST`` publishes one (or all)."""

    auth_resource = AUTH_RESOURCE

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.settings.get("server_root_dir") or self.serverapp.root_dir)

    def entry(self, item: dict[str, Any]) -> dict[str, Any]:
        """A listing entry with its path in the home and its page's URL."""
        return {**item, "path": f"{publish.DIRECTORY_NAME}/{item['file']}",
                "url": url_path_join(self.base_url, RENDER_PATH, quote(item["file"]))}

    async def call(self, function, *args, **kwargs):
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except MLOpsError as error:
            raise self.workspace.scrub(error) from None

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        # The service's default folder: the one the CLI and the demo use too.
        items = await self.call(publish.list_dashboards)
        self.finish({"dashboards": [self.entry(item) for item in items],
                     "folder": publish.DIRECTORY_NAME,
                     "templates": publish.TEMPLATES,
                     "voila": "voila_jinja2_env" in self.settings})

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(DashboardRequest)
        model, template = body.model, body.template or "drift"
        if not model:
            raise UsageError("model is required")
        publish.validate_template(template)
        if template == publish.ALL:
            paths = await self.call(publish.publish_all, model)
        else:
            paths = [await self.call(publish.publish, model, template)]
        items = await self.call(publish.list_dashboards)
        wanted = {path.name for path in paths}
        self.set_status(201)
        self.finish({"dashboards": [self.entry(item) for item in items
                                    if item["file"] in wanted]})


handlers = [
    (r"/dashboards/?", DashboardsHandler),
    (r"/dashboards/render/(.*)", DashboardRenderHandler),
]
