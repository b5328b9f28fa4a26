"""``/mlops-jupyter/status`` and ``/mlops-jupyter/events``: what tracking is doing and
what just happened (read only).

``GET status`` → :class:`~mlops_jupyter.activity.contracts.TrackingStatus`;
``GET events?since=<epoch ms>`` → :class:`~mlops_jupyter.activity.contracts.EventList`,
from :class:`mlops_jupyter.activity.service.ActivityService`. Authorization: resource
``mlops_activity``, action ``read``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..activity.contracts import EventList, EventsQuery, TrackingStatus
from .base import Endpoint, MLOpsHandler

AUTH_RESOURCE = "mlops_activity"
#: The settings key of the :class:`~mlops_jupyter.activity.service.ActivityService`.
SERVICE_SETTING = "mlops_jupyter.activity_service"


class ActivityBaseHandler(MLOpsHandler):
    auth_resource = AUTH_RESOURCE
    service_setting = SERVICE_SETTING


class StatusHandler(ActivityBaseHandler):
    """The tracking store (credentials hidden), its reachability, live sessions and
    where the MLflow UI is."""

    contract = {"get": Endpoint("Tracking status: store, reachability, live sessions, "
                                "MLflow UI", response=TrackingStatus)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.render(await asyncio.to_thread(self.service.status))


class EventsHandler(ActivityBaseHandler):
    """Jobs, pipeline runs, promotions, rollbacks, drift alerts and retrains that ended
    after ``since``."""

    contract = {"get": Endpoint("Outcomes after `since` (epoch ms), oldest first",
                                query=EventsQuery, response=EventList)}

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        query = self.query(EventsQuery)
        self.render(await asyncio.to_thread(self.service.events, query))


handlers = [
    (r"/status/?", StatusHandler),
    (r"/events/?", EventsHandler),
]
