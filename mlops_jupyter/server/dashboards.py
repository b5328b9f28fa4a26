"""``/mlops-jupyter/dashboards``: publish Voila dashboards and list them with their URL.

Thin handlers over :mod:`mlops_jupyter.dashboards.publish`. Dashboards published from
JupyterLab go to a folder *inside the server root* (``MLOpsExtensionApp.dashboards_dir``,
default ``dashboards``), so Voila's server extension renders them at
``/voila/render/<folder>/<file>`` behind JupyterLab's own authentication.

====================================  ===============================================
``GET dashboards``                    ``{dashboards: [{file, model, template,
                                      published, path, url}], folder, templates,
                                      voila}`` (``voila``: the Voila server
                                      extension is enabled, so the URLs work)
``POST dashboards``                   ``{model, template?}`` (``template``: overview,
                                      drift, health or all; default drift) → 201
                                      ``{dashboards: [...]}`` the published ones
====================================  ===============================================

Errors: 400 bad name or template, 404 unknown model, 503 store unavailable; never
an absolute path. Authorization: resource ``mlops_dashboards``, ``read`` / ``write``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from ..dashboards import publish
from ..exceptions import MLOpsError, UsageError
from .base import MLOpsHandler
from .pipeline_service import Workspace
from .schemas import DashboardRequest

AUTH_RESOURCE = "mlops_dashboards"
FOLDER_SETTING = "mlops_dashboards_dir"
DEFAULT_FOLDER = "dashboards"


class DashboardsHandler(MLOpsHandler):
    """``GET`` lists the published dashboards, ``POST`` publishes one (or all)."""

    auth_resource = AUTH_RESOURCE

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.settings.get("server_root_dir") or self.serverapp.root_dir)

    def folder(self) -> Path:
        """The dashboards folder inside the server root (it may not exist yet)."""
        return self.workspace.resolve(self.settings.get(FOLDER_SETTING) or DEFAULT_FOLDER,
                                      what="dashboards folder", must_exist=False)

    def entry(self, item: dict[str, Any], folder: Path) -> dict[str, Any]:
        """A listing entry with its root-relative path and Voila URL."""
        path = self.workspace.relative(folder / item["file"])
        return {**item, "path": path,
                "url": url_path_join(self.base_url, "voila/render", quote(path))}

    async def call(self, function, *args, **kwargs):
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except MLOpsError as error:
            raise self.workspace.scrub(error) from None

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        folder = self.folder()
        items = await self.call(publish.list_dashboards, folder) if folder.is_dir() else []
        self.finish({"dashboards": [self.entry(item, folder) for item in items],
                     "folder": self.workspace.relative(folder),
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
        folder = self.folder()
        if template == publish.ALL:
            paths = await self.call(publish.publish_all, model, folder)
        else:
            paths = [await self.call(publish.publish, model, template, folder)]
        items = await self.call(publish.list_dashboards, folder)
        wanted = {path.name for path in paths}
        self.set_status(201)
        self.finish({"dashboards": [self.entry(item, folder) for item in items
                                    if item["file"] in wanted]})


handlers = [
    (r"/dashboards/?", DashboardsHandler),
]
