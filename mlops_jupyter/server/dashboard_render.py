"""``GET /mlops-jupyter/dashboards/render/<file>``: a published dashboard, rendered by
Voila inside this Jupyter server, behind its authentication.

Dashboards live in the mlops-jupyter home (``<home>/dashboards``), outside the server
root, where Voila's own ``/voila/render/`` cannot reach. This is Voila's page handler
with that folder as its root and the same rules as ``mlops dashboard serve``: signed
dashboards only (:func:`mlops_jupyter.dashboards.hooks.prelaunch`, 403 otherwise,
before a kernel starts), no template/theme overrides, no tracebacks, no sources. The
page's assets come from Voila's server extension, which must be enabled (404 if not).
"""

from __future__ import annotations

import functools

from jupyter_server.auth.decorator import authorized
from jupyter_server.services.contents.filemanager import FileContentsManager
from tornado import web
from voila.tornado.handler import TornadoVoilaHandler

from .. import names
from .base import Endpoint

AUTH_RESOURCE = "mlops_dashboards"
#: The settings key of the DashboardService (``server.dashboards.SERVICE_SETTING``).
SERVICE_SETTING = "mlops_jupyter.dashboard_service"
_SETTING = "mlops_dashboards_voila"


def _voila_settings(serverapp) -> dict:
    """Voila's configuration for dashboards, made once per server."""
    from voila.configuration import VoilaConfiguration
    from voila.paths import collect_template_paths
    from voila.server_extension import load_config_file

    from ..dashboards.hooks import prelaunch

    configuration = VoilaConfiguration(parent=serverapp)
    local = load_config_file()
    if local is not None:
        configuration.update_config(local)
    # The locked-down settings of `mlops dashboard serve`, whatever voila.json says.
    configuration.allow_template_override = "NO"
    configuration.allow_theme_override = "NO"
    configuration.show_tracebacks = False
    configuration.strip_sources = True
    configuration.preheat_kernel = False
    configuration.prelaunch_hook = functools.partial(prelaunch, prefetched=False)
    return {"config": serverapp.config, "voila_configuration": configuration,
            "template_paths": collect_template_paths(["voila", "nbconvert"],
                                                     configuration.template)}


class DashboardRenderHandler(TornadoVoilaHandler):
    """Voila's page handler over the home's dashboards folder."""

    auth_resource = AUTH_RESOURCE
    contract = {"get": Endpoint("A published dashboard's page, rendered by Voila",
                                media_type="text/html")}

    def initialize(self) -> None:
        if _SETTING not in self.settings:
            self.settings[_SETTING] = _voila_settings(self.serverapp)
        super().initialize(**self.settings[_SETTING])

    @property
    def contents_manager(self) -> FileContentsManager:
        """The dashboards folder as Voila's root for this page (and the prelaunch
        hook's check, which reads the file through the same jail)."""
        if getattr(self, "_dashboards_contents", None) is None:
            self._dashboards_contents = FileContentsManager(
                root_dir=str(self.settings[SERVICE_SETTING].directory()),
                parent=self.serverapp)
        return self._dashboards_contents

    @web.authenticated
    @authorized("read")
    async def get(self, path: str = "") -> None:
        if "voila_jinja2_env" not in self.settings:
            raise web.HTTPError(404, "Voila's server extension is not enabled")
        if not names.is_dashboard_file(path):
            raise web.HTTPError(404, "no such dashboard")
        await super().get(path)
