"""``/mlops-jupyter/monitoring``: drift checks per model, for the sidebar.

* ``GET monitoring``: :class:`~mlops_jupyter.monitoring.contracts.MonitoringOverview`
  ``{models: [{model, latest, history, alerts, retrains, checks}]}``.
* ``GET monitoring/{model}/history?limit=``: the newest ``limit`` (1-500, default 50)
  checks, oldest first.
* ``GET monitoring/checks/{check_id}/report``: the check's stored Evidently report
  (HTML, served read-only under a sandboxing ``Content-Security-Policy``).
* ``POST monitoring/{model}/check``: start the model's ``monitor.yaml`` schedule now,
  as a job (a process of its own); 404 when no schedule monitors the model.

All from :class:`mlops_jupyter.monitoring.service.MonitoringService`. Authorization:
resource ``mlops_monitoring``; reads as ``read``, "check now" as ``execute`` (it runs
the monitor file's check, which may load the model and start a retrain).
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..monitoring.contracts import CheckStarted, DriftHistory, HistoryQuery, MonitoringOverview
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_monitoring"
#: The settings key of the :class:`~mlops_jupyter.monitoring.service.MonitoringService`.
SERVICE_SETTING = "mlops_jupyter.monitoring_service"
#: The report runs its own scripts, in an opaque origin: no cookies, no XSRF token, no
#: request to this server, no form, no navigation of the top window.
REPORT_CSP = ("sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
              "style-src 'unsafe-inline'; img-src data:; font-src data:")


class MonitoringBaseHandler(MLOpsHandler):
    """Authorizes against ``mlops_monitoring``; the service runs in a worker thread."""

    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING


class MonitoringHandler(MonitoringBaseHandler):
    """Every monitored model's latest verdict, drift history, alerts and retrains."""

    contract = {"get": Endpoint("Every monitored model's latest drift verdict, history, "
                                "alerts and retrains", response=MonitoringOverview)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await asyncio.to_thread(self.service.overview))


class HistoryHandler(MonitoringBaseHandler):
    """``GET monitoring/{model}/history``: drift share over time."""

    contract = {"get": Endpoint("A model's newest drift checks, oldest first",
                                query=HistoryQuery, response=DriftHistory)}

    @web.authenticated
    @authorized("read")
    async def get(self, model: str) -> None:
        query = self.query(HistoryQuery)
        self.render(await asyncio.to_thread(self.service.history, model, query.limit))


class ReportHandler(MonitoringBaseHandler):
    """``GET monitoring/checks/{run_id}/report``: the check's Evidently report."""

    contract = {"get": Endpoint("A drift check's stored Evidently report (HTML, sandboxed)",
                                media_type="text/html")}

    @web.authenticated
    @authorized("read")
    async def get(self, check_id: str) -> None:
        html = await asyncio.to_thread(self.service.report_html, check_id)
        self.set_header("Content-Security-Policy", REPORT_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.finish(html, set_content_type="text/html; charset=utf-8")


class CheckNowHandler(MonitoringBaseHandler):
    """``POST monitoring/{model}/check``: run the model's monitor now, as a job."""

    contract = {"post": Endpoint("Start the model's monitor.yaml check now, as a job",
                                 response=CheckStarted, status=202, executes=True)}

    @web.authenticated
    @authorized("execute")
    async def post(self, model: str) -> None:
        self.render(await asyncio.to_thread(self.service.check_now, model), status=202)


handlers = [
    (r"/monitoring/?", MonitoringHandler),
    (r"/monitoring/checks/([^/]+)/report/?", ReportHandler),
    (r"/monitoring/([^/]+)/history/?", HistoryHandler),
    (r"/monitoring/([^/]+)/check/?", CheckNowHandler),
]
