"""``/mlops-jupyter/schedules`` and ``/mlops-jupyter/jobs``: cron schedules and their jobs.

Thin handlers over :mod:`mlops_jupyter.server.schedule_service`; every service call
runs in a worker thread (the job store is SQL). Errors: 400 bad input, 404 unknown
schedule or job, 409 a duplicate name / a finished job / a disabled scheduler,
503 a locked or unavailable job store.

================================  ===========================================
``GET schedules``                 schedules (``next``, ``next_human``,
                                  ``last_job``), ``presets``, ``scheduler``
``POST schedules``                {target, cron, timezone?, params?, missed?,
                                  name?} → 201 schedule
``GET schedules/presets``         the cron presets
``POST schedules/preview``        {cron, timezone?} → {next, local, human}
``GET|DELETE schedules/{name}``   one schedule / remove it (204)
``POST schedules/{name}/pause``   stop firing (``resume`` starts again)
``POST schedules/{name}/run``     "Run now" → 202 job
``GET jobs?schedule=&status=&limit=``  jobs, newest first
``GET jobs/{id}``                 one job
``POST jobs/{id}/cancel``         stop a queued or running job
================================  ===========================================
"""

from __future__ import annotations

import asyncio

from tornado import web

from .base import MLOpsHandler
from .pipeline_service import Workspace
from .schedule_service import SchedulerHost, ScheduleService
from .schemas import PreviewRequest, ScheduleRequest

HOST_SETTING = "mlops_jupyter_scheduler_host"
DEFAULT_JOB_LIMIT = 50


class SchedulesBaseHandler(MLOpsHandler):
    """Gives access to the server's schedule service."""

    @property
    def service(self) -> ScheduleService:
        host = self.settings.get(HOST_SETTING)
        if host is None:  # mounted without the extension app: a store, no scheduler
            host = self.settings[HOST_SETTING] = SchedulerHost(enabled=False)
        root = self.settings.get("server_root_dir") or self.serverapp.root_dir
        return ScheduleService(host, Workspace(root))

    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)


class SchedulesHandler(SchedulesBaseHandler):
    """``GET /schedules`` and ``POST /schedules``."""

    @web.authenticated
    async def get(self) -> None:
        self.finish(await self.call(self.service.list_schedules))

    @web.authenticated
    async def post(self) -> None:
        body = self.body(ScheduleRequest)
        created = await self.call(self.service.create, body.model_dump())
        self.set_status(201)
        self.finish(created)


class PresetsHandler(SchedulesBaseHandler):
    """``GET /schedules/presets``: named cron expressions for the cron helper."""

    @web.authenticated
    async def get(self) -> None:
        self.finish(ScheduleService.presets())


class PreviewHandler(SchedulesBaseHandler):
    """``POST /schedules/preview`` {cron, timezone}: the next five fire times."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body(PreviewRequest)
        self.finish(await self.call(self.service.preview, body.cron, body.timezone))


class ScheduleHandler(SchedulesBaseHandler):
    """``GET /schedules/{name}`` and ``DELETE /schedules/{name}`` (jobs are kept)."""

    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.service.get_schedule, name))

    @web.authenticated
    async def delete(self, name: str) -> None:
        await self.call(self.service.remove, name)
        self.set_status(204)
        self.finish()


class ScheduleActionHandler(SchedulesBaseHandler):
    """``POST /schedules/{name}/pause|resume|run``."""

    @web.authenticated
    async def post(self, name: str, action: str) -> None:
        if action == "run":
            job = await self.call(self.service.run_now, name)
            self.set_status(202)
            self.finish(job)
            return
        self.finish(await self.call(self.service.set_enabled, name, action == "resume"))


class JobsHandler(SchedulesBaseHandler):
    """``GET /jobs?schedule=NAME&status=STATUS&limit=N``: jobs, newest first."""

    @web.authenticated
    async def get(self) -> None:
        self.finish(await self.call(
            self.service.jobs, self.get_query_argument("schedule", None),
            self.get_query_argument("status", None),
            self.get_int_argument("limit", DEFAULT_JOB_LIMIT)))


class JobHandler(SchedulesBaseHandler):
    """``GET /jobs/{id}``."""

    @web.authenticated
    async def get(self, job_id: str) -> None:
        self.finish(await self.call(self.service.job, job_id))


class JobCancelHandler(SchedulesBaseHandler):
    """``POST /jobs/{id}/cancel``: stop its processes; 409 when it already ended."""

    @web.authenticated
    async def post(self, job_id: str) -> None:
        self.finish(await self.call(self.service.cancel, job_id))


handlers = [
    (r"/schedules/?", SchedulesHandler),
    (r"/schedules/presets/?", PresetsHandler),
    (r"/schedules/preview/?", PreviewHandler),
    (r"/schedules/([^/]+)/?", ScheduleHandler),
    (r"/schedules/([^/]+)/(pause|resume|run)/?", ScheduleActionHandler),
    (r"/jobs/?", JobsHandler),
    (r"/jobs/([^/]+)/?", JobHandler),
    (r"/jobs/([^/]+)/cancel/?", JobCancelHandler),
]
