"""``/mlops-jupyter/schedules`` and ``/mlops-jupyter/jobs``: cron schedules and their jobs.

Thin handlers over :class:`~mlops_jupyter.scheduling.schedule_service.ScheduleService`,
which the app puts in the settings under :data:`SERVICE_SETTING`; every service call
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

Authorization: resource ``mlops_schedules`` (:data:`AUTH_RESOURCE`); listings, presets
and previews are ``read``; creating, pausing, resuming and removing a schedule are
``write``; "Run now" and cancelling a job are ``execute``.
"""

from __future__ import annotations

import asyncio

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..scheduling.schedule_service import ScheduleService
from .base import MLOpsHandler
from .schemas import PreviewRequest, ScheduleRequest

SERVICE_SETTING = "mlops_jupyter_schedule_service"
AUTH_RESOURCE = "mlops_schedules"
DEFAULT_JOB_LIMIT = 50


class SchedulesBaseHandler(MLOpsHandler):
    """Gives access to the schedule service the app shares; authorizes against
    ``mlops_schedules``."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> ScheduleService:
        return self.settings[SERVICE_SETTING]

    async def call(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)


class SchedulesHandler(SchedulesBaseHandler):
    """``GET /schedules`` and ``POST /schedules``."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.finish(await self.call(self.service.list_schedules))

    @web.authenticated
    @authorized("write")
    async def post(self) -> None:
        body = self.body(ScheduleRequest)
        created = await self.call(self.service.create, body.model_dump())
        self.set_status(201)
        self.finish(created)


class PresetsHandler(SchedulesBaseHandler):
    """``GET /schedules/presets``: named cron expressions for the cron helper."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.finish(self.service.presets())


class PreviewHandler(SchedulesBaseHandler):
    """``POST /schedules/preview`` {cron, timezone}: the next five fire times."""

    @web.authenticated
    @authorized("read")
    async def post(self) -> None:
        body = self.body(PreviewRequest)
        self.finish(await self.call(self.service.preview, body.cron, body.timezone))


class ScheduleHandler(SchedulesBaseHandler):
    """``GET /schedules/{name}`` and ``DELETE /schedules/{name}`` (jobs are kept)."""

    @web.authenticated
    @authorized("read")
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.service.get_schedule, name))

    @web.authenticated
    @authorized("write")
    async def delete(self, name: str) -> None:
        await self.call(self.service.remove, name)
        self.set_status(204)
        self.finish()


class ScheduleActionHandler(SchedulesBaseHandler):
    """``POST /schedules/{name}/pause|resume|run``."""

    @web.authenticated
    async def post(self, name: str, action: str) -> None:
        if action == "run":
            await self._run_now(name)
        else:
            await self._set_enabled(name, action == "resume")

    @authorized("execute")
    async def _run_now(self, name: str) -> None:
        job = await self.call(self.service.run_now, name)
        self.set_status(202)
        self.finish(job)

    @authorized("write")
    async def _set_enabled(self, name: str, enabled: bool) -> None:
        self.finish(await self.call(self.service.set_enabled, name, enabled))


class JobsHandler(SchedulesBaseHandler):
    """``GET /jobs?schedule=NAME&status=STATUS&limit=N``: jobs, newest first."""

    @web.authenticated
    @authorized("read")
    async def get(self) -> None:
        self.finish(await self.call(
            self.service.jobs, self.get_query_argument("schedule", None),
            self.get_query_argument("status", None),
            self.get_int_argument("limit", DEFAULT_JOB_LIMIT)))


class JobHandler(SchedulesBaseHandler):
    """``GET /jobs/{id}``."""

    @web.authenticated
    @authorized("read")
    async def get(self, job_id: str) -> None:
        self.finish(await self.call(self.service.job, job_id))


class JobCancelHandler(SchedulesBaseHandler):
    """``POST /jobs/{id}/cancel``: stop its processes; 409 when it already ended."""

    @web.authenticated
    @authorized("execute")
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
