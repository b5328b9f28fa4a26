"""The server extension application: mounts every resource under ``/mlops-jupyter/``."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join

from . import experiments, pipelines

URL_NAMESPACE = "mlops-jupyter"


class MLOpsExtensionApp(ExtensionApp):
    """Serves the REST API the JupyterLab sidebar reads."""

    name = "mlops_jupyter"

    def initialize_settings(self) -> None:
        """Share one pipeline launcher (it tracks the runs it started) between handlers."""
        self.settings[pipelines.LAUNCHER_SETTING] = pipelines.make_launcher(
            self.serverapp.root_dir)

    def initialize_handlers(self) -> None:
        """Register each resource module's handlers under the URL namespace."""
        for module in (experiments, pipelines):
            for pattern, handler in module.handlers:
                self.handlers.append((url_path_join("/", URL_NAMESPACE, pattern), handler))
