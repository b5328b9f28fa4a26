"""The server extension application: mounts every resource under ``/mlops-jupyter/``."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join

from . import experiments

URL_NAMESPACE = "mlops-jupyter"


class MLOpsExtensionApp(ExtensionApp):
    """Serves the REST API the JupyterLab sidebar reads."""

    name = "mlops_jupyter"

    def initialize_handlers(self) -> None:
        """Register each resource module's handlers under the URL namespace."""
        for pattern, handler in experiments.handlers:
            self.handlers.append((url_path_join("/", URL_NAMESPACE, pattern), handler))
