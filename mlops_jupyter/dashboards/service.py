"""Published dashboards as one service object with typed replies
(:mod:`mlops_jupyter.dashboards.contracts`), over :mod:`.publish`.

Dashboards go to the mlops-jupyter home's ``dashboards/`` folder, the one the CLI and
the demo use, so ``mlops dashboard list|serve`` see them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..exceptions import UsageError
from . import publish
from .contracts import Dashboard, DashboardList, DashboardRequest, PublishedDashboards

DEFAULT_TEMPLATE = "drift"


class DashboardService:
    """List and publish dashboards; each entry links to its page under ``render_url``.

    Args:
        render_url: the URL (path) under which a dashboard file's page is served.
    """

    def __init__(self, render_url: str = "") -> None:
        self.render_url = render_url.rstrip("/")

    def directory(self) -> Path:
        """The folder the dashboards are published to and their pages served from."""
        return publish.dashboards_dir()

    def _entry(self, item: dict[str, Any]) -> Dashboard:
        return Dashboard(**item, path=f"{publish.DIRECTORY_NAME}/{item['file']}",
                         url=f"{self.render_url}/{quote(item['file'])}")

    def list_dashboards(self, voila: bool = False) -> DashboardList:
        """Every published dashboard, by model and template; ``voila``: whether their
        pages work (Voila's server extension is enabled where they are served)."""
        return DashboardList(
            dashboards=[self._entry(item) for item in publish.list_dashboards()],
            folder=publish.DIRECTORY_NAME, templates=publish.TEMPLATES, voila=voila)

    def publish(self, request: DashboardRequest) -> PublishedDashboards:
        """Publish ``request.template`` (or all of them) for ``request.model``.

        Raises:
            UsageError: no model or an unknown template; NotFoundError: unknown model.
        """
        model, template = request.model, request.template or DEFAULT_TEMPLATE
        if not model:
            raise UsageError("model is required")
        publish.validate_template(template)
        if template == publish.ALL:
            paths = publish.publish_all(model)
        else:
            paths = [publish.publish(model, template)]
        wanted = {path.name for path in paths}
        return PublishedDashboards(dashboards=[
            self._entry(item) for item in publish.list_dashboards() if item["file"] in wanted])
