"""The server extension application: mounts every resource under ``/mlops-jupyter/``."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from traitlets import Bool, Float, Type, Unicode

from ..activity.service import ActivityService
from ..dashboards.service import DashboardService
from ..monitoring.service import MonitoringService
from ..pipelines.launcher import PipelineLauncher
from ..pipelines.workspace import Workspace
from ..registry.service import RegistryService
from ..runs.comparison_service import ComparisonService
from ..runs.service import RunsService
from ..scheduling.host import SchedulerHost
from ..scheduling.schedule_service import ScheduleService
from ..serving.deployments import deployed_by_model
from ..serving.service import DeploymentsService
from ..tracking.service import ExperimentsService
from . import (
    activity,
    dashboards,
    deployments,
    experiments,
    models,
    monitoring,
    openapi,
    pipelines,
    run_comparison,
    runs,
    schedules,
)
from .routes import URL_NAMESPACE, api_handlers


class MLOpsExtensionApp(ExtensionApp):
    """Serves the REST API the JupyterLab sidebar reads, and runs the scheduler.

    Configurable like any Jupyter server extension, e.g. in
    ``jupyter_server_config.py``::

        c.MLOpsExtensionApp.scheduler_enabled = True        # default
        c.MLOpsExtensionApp.scheduler_poll_interval = 2.0   # seconds
        c.MLOpsExtensionApp.job_retention_days = 30         # 0 keeps every job
        c.MLOpsExtensionApp.job_store_url = "postgresql://..."  # default: see config

    or on the command line: ``jupyter lab --MLOpsExtensionApp.scheduler_enabled=False``.

    Each handler gets its service from one settings key, filled once here from a
    ``*_service_class`` trait; a deployment (or a test) swaps a service through
    ``c.MLOpsExtensionApp.registry_service_class = "my_package.MyRegistryService"``.
    """

    name = "mlops_jupyter"

    # ------------------------------------------------------------------ services
    experiments_service_class = Type(
        default_value=ExperimentsService, klass=ExperimentsService, config=True,
        help="The experiments service the /experiments handlers use.")
    registry_service_class = Type(
        default_value=RegistryService, klass=RegistryService, config=True,
        help="The model registry service the /models handlers use; made with "
             "deployed=<where versions are served now>.")
    monitoring_service_class = Type(
        default_value=MonitoringService, klass=MonitoringService, config=True,
        help="The monitoring service the /monitoring handler uses.")
    dashboard_service_class = Type(
        default_value=DashboardService, klass=DashboardService, config=True,
        help="The dashboard service the /dashboards handlers use; made with the URL "
             "its dashboards' pages are served under.")
    comparison_service_class = Type(
        default_value=ComparisonService, klass=ComparisonService, config=True,
        help="The service behind /mlops-jupyter/runs/compare and /runs/diff.")
    deployments_service_class = Type(
        default_value=DeploymentsService, klass=DeploymentsService, config=True,
        help="The service behind /mlops-jupyter/deployments (running model endpoints).")

    runs_service_class = Type(
        default_value=RunsService, klass=RunsService, config=True,
        help="The service behind /mlops-jupyter/runs (a run's detail, artifacts and "
             "notebooks); made with the server root.")
    activity_service_class = Type(
        default_value=ActivityService, klass=ActivityService, config=True,
        help="The service behind /mlops-jupyter/status and /events; made with the "
             "scheduler host, the server root and the proxied MLflow UI's URL.")

    scheduler_enabled = Bool(
        True, config=True,
        help="""Run the schedule scheduler inside this Jupyter server (on by default).

        Several servers (or `mlops scheduler` processes) may share one job store:
        each tick is claimed in the database, so it fires exactly once. Turn this off
        when a standalone `mlops scheduler` serves the store; the REST API and the
        sidebar still list and edit schedules, but "Run now" answers 409.""")
    scheduler_poll_interval = Float(
        2.0, config=True,
        help="""Seconds between looks at the job store when nothing is due (schedules
        added by other processes are seen within this time; changes made through this
        server wake the scheduler at once).""")
    job_retention_days = Float(
        30.0, config=True,
        help="""Days an ended job, and its run folder of executed notebooks, is kept
        before the scheduler deletes it. 0 keeps every job.""")
    job_store_url = Unicode(
        "", config=True,
        help="""SQLAlchemy URL of the job store. Empty: $MLOPS_JOB_DB_URL, else
        sqlite:///<home>/jobs.db in the mlops-jupyter home directory.""")
    scheduler_host_class = Type(
        default_value=SchedulerHost, klass=SchedulerHost, config=True,
        help="""The job store and scheduler of this server (runs of the Pipelines
        section are its jobs too).""")
    pipeline_launcher_class = Type(
        default_value=PipelineLauncher, klass=PipelineLauncher, config=True,
        help="The service behind /mlops-jupyter/pipelines.")
    schedule_service_class = Type(
        default_value=ScheduleService, klass=ScheduleService, config=True,
        help="The service behind /mlops-jupyter/schedules and /jobs.")

    def initialize_settings(self) -> None:
        """Make each service once, under its handlers' settings key (the classes are
        the ``*_class`` traits); start the scheduler in the background (a store that
        cannot be opened is logged, never fatal)."""
        self._initialize_services()
        retention = (timedelta(days=self.job_retention_days)
                     if self.job_retention_days > 0 else None)
        host = self.scheduler_host_class(
            self.job_store_url or None, enabled=self.scheduler_enabled,
            poll_interval=self.scheduler_poll_interval, retention=retention)
        workspace = Workspace(self.serverapp.root_dir)
        self.settings[pipelines.LAUNCHER_SETTING] = self.pipeline_launcher_class(
            workspace, host)
        self.settings[schedules.SERVICE_SETTING] = self.schedule_service_class(host, workspace)
        self.settings[monitoring.SERVICE_SETTING] = self.monitoring_service_class(host)
        self._scheduler_host = host
        self.settings[activity.SERVICE_SETTING] = self.activity_service_class(
            host, self.serverapp.root_dir, mlflow_ui_url=self._mlflow_ui_url())
        # The sidebar's sections make their first requests at once, each in a worker
        # thread; several threads importing MLflow's circular modules together can see
        # a half-initialised module. Import it once, here, before any request.
        import mlflow  # noqa: F401
        host.start_in_background()
        if not self.scheduler_enabled:
            self.log.info("mlops-jupyter: the scheduler is disabled in this server")

    def _initialize_services(self) -> None:
        """The read/write services of experiments, models, monitoring, dashboards and
        deployments."""
        self.settings[experiments.SERVICE_SETTING] = self.experiments_service_class()
        self.settings[models.SERVICE_SETTING] = self.registry_service_class(
            deployed=deployed_by_model)
        self.settings[dashboards.SERVICE_SETTING] = self.dashboard_service_class(
            render_url=url_path_join(self.serverapp.base_url, dashboards.RENDER_PATH))
        self.settings[deployments.SERVICE_SETTING] = self.deployments_service_class()
        self.settings[runs.SERVICE_SETTING] = self.runs_service_class(self.serverapp.root_dir)
        self.settings[run_comparison.SERVICE_SETTING] = self.comparison_service_class()

    def _mlflow_ui_url(self) -> str | None:
        """Where jupyter-server-proxy serves the MLflow UI of this store
        (``<base_url>mlflow/``), or None when the proxy is not enabled or has no
        ``mlflow`` server process (the entry point of :mod:`mlops_jupyter.mlflow_ui`, or
        ``c.ServerProxy.servers["mlflow"]``)."""
        from importlib.metadata import entry_points

        from ..mlflow_ui import PROXY_NAME

        serverapp = self.serverapp
        if not (serverapp.jpserver_extensions or {}).get("jupyter_server_proxy"):
            return None
        configured = serverapp.config.get("ServerProxy", {}).get("servers", {}) or {}
        registered = PROXY_NAME in configured or any(
            point.name == PROXY_NAME
            for point in entry_points(group="jupyter_serverproxy_servers"))
        return url_path_join(serverapp.base_url, PROXY_NAME, "/") if registered else None

    def initialize_handlers(self) -> None:
        """Register each resource module's handlers under the URL namespace."""
        for pattern, handler in [*api_handlers(), *openapi.handlers]:
            self.handlers.append((url_path_join("/", URL_NAMESPACE, pattern), handler))

    async def stop_extension(self) -> None:
        """On server shutdown: stop the scheduler; its running jobs — runs of the
        Pipelines section included — are stopped and marked INTERRUPTED, truthfully."""
        host = getattr(self, "_scheduler_host", None)
        if host is not None:
            await asyncio.to_thread(host.stop)
