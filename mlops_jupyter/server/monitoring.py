"""``/mlops-jupyter/monitoring``: drift checks per model, for the sidebar (read only).

``GET monitoring`` → :class:`~mlops_jupyter.monitoring.contracts.MonitoringOverview`
``{models: [{model, latest, history, alerts, retrains, checks}]}``, from
:class:`mlops_jupyter.monitoring.service.MonitoringService`. Authorization: resource
``mlops_monitoring``, action ``read``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..monitoring.contracts import MonitoringOverview
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_monitoring"
#: The settings key of the :class:`~mlops_jupyter.monitoring.service.MonitoringService`.
SERVICE_SETTING = "mlops_jupyter.monitoring_service"


class MonitoringHandler(MLOpsHandler):
    """Every monitored model's latest verdict, drift history, alerts and retrains."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING
    contract = {"get": Endpoint("Every monitored model's latest drift verdict, history, "
                                "alerts and retrains", response=MonitoringOverview)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await asyncio.to_thread(self.service.overview))


handlers = [(r"/monitoring/?", MonitoringHandler)]
