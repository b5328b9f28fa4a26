"""``/mlops-jupyter/monitoring``: drift checks per model, for the sidebar (read only).

``GET monitoring`` → ``{models: [{model, latest, history, alerts, retrains, checks}]}``
(see :func:`mlops_jupyter.monitoring.overview.overview`).
"""

from __future__ import annotations

import asyncio

from tornado import web

from ..monitoring.overview import overview
from .base import MLOpsHandler


class MonitoringHandler(MLOpsHandler):
    """Every monitored model's latest verdict, drift history, alerts and retrains."""

    @web.authenticated
    async def get(self) -> None:
        self.finish({"models": await asyncio.to_thread(overview)})


handlers = [(r"/monitoring/?", MonitoringHandler)]
