"""Fixtures of the dashboard tests: a seeded store and a real Voila server.

``dashboard_home`` (once per session) is an mlops-jupyter home holding a registered
model ``churn`` (three versions: v2 champion trained by a pipeline, v3 challenger),
its pipeline runs and scheduled jobs, 30 days of drift checks written per the
monitoring records contract, and the published dashboards. ``voila`` serves that
home's dashboards folder with :mod:`mlops_jupyter.dashboards.serve`, from the test.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops_jupyter import config
from mlops_jupyter.tracking import store
from tests.dashboards.seed import SeededChecks, seed_checks
from tests.ui.helpers import page, start_lab  # noqa: F401 - fixtures of the browser tests

try:  # the browser tests: the same patience as tests/ui (a loaded CI machine)
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
except ImportError:  # pragma: no cover - playwright is a test dependency
    pass

MODEL = "churn"
GHOST = "ghost-model"
PIPELINE = "train-churn"


@dataclass(frozen=True)
class DashboardHome:
    """What ``dashboard_home`` holds."""

    home: Path
    dashboards: Path
    checks: SeededChecks
    pipeline_run_ids: tuple[str, ...]

    @property
    def env(self) -> dict[str, str]:
        return {config.HOME_ENV: str(self.home), config.TRACKING_URI_ENV: ""}


def seed_registry(model_object, name: str = MODEL) -> tuple[str, ...]:
    """Three versions of ``name``: v1, v2 (champion, from a step of pipeline
    ``train-churn``) and v3 (challenger); the pipeline's runs and the scheduler jobs
    that ran it (one failed). Returns the pipeline run ids, oldest first."""
    from mlflow.entities import Metric

    from mlops_jupyter.registry import register_model, set_alias
    from mlops_jupyter.scheduling.store import JobStore

    client = store.client()
    experiment_id = store.get_or_create_experiment("training")
    pipeline_runs = []
    for status in ("FINISHED", "FAILED", "FINISHED"):
        run = client.create_run(experiment_id, tags={
            "mlops.kind": "pipeline", "mlops.pipeline.name": PIPELINE,
            "mlops.pipeline.run_id": f"run-{len(pipeline_runs)}",
            "mlops.pipeline.trigger": "cron"})
        client.set_terminated(run.info.run_id, status)
        pipeline_runs.append(run.info.run_id)
    for number, (accuracy, f1) in enumerate(((0.91, 0.89), (0.95, 0.94), (0.96, 0.93)), 1):
        tags = {"mlops.git.commit": "4f2a9c1e0b7d", "mlops.git.branch": "main"}
        if number == 2:
            tags.update({"mlops.kind": "step", "mlops.step.name": "train",
                         "mlops.pipeline.name": PIPELINE, "mlops.pipeline.run_id": "run-2"})
        else:
            tags["mlops.notebook"] = "notebooks/train.ipynb"
        run = client.create_run(experiment_id, tags=tags)
        client.log_batch(run.info.run_id, metrics=[
            Metric("accuracy", accuracy, 0, 0), Metric("f1", f1, 0, 0),
            Metric("roc_auc", accuracy + 0.02, 0, 0)])
        client.set_terminated(run.info.run_id, "FINISHED")
        register_model(model_object, name, run_id=run.info.run_id)
    set_alias(name, "champion", 2, reason="best accuracy on the holdout")
    set_alias(name, "challenger", 3, reason="retrained on November data")

    jobs = JobStore()
    schedule = jobs.add_schedule({
        "name": "nightly-train", "target_type": "pipeline", "target": "pipeline.yaml",
        "parameters": {}, "cron": "0 2 * * *", "timezone": "UTC", "missed": "skip",
        "enabled": True})
    for run_id, status in zip(pipeline_runs, ("SUCCEEDED", "FAILED", "SUCCEEDED")):
        job = jobs.create_job(schedule, "cron")
        jobs.start_job(job["id"])
        jobs.finish_job(job["id"], status, mlflow_run_id=run_id,
                        error="step train failed: ValueError" if status == "FAILED" else None)
    jobs.close()
    return tuple(pipeline_runs)


@pytest.fixture(scope="session")
def dashboard_home(tmp_path_factory, _empty_store, iris_model) -> DashboardHome:
    """A home with the seeded model, its checks and its published dashboards, plus a
    dashboard of a model deleted since and a notebook that is not a dashboard."""
    from mlops_jupyter.dashboards.publish import publish, publish_all
    from mlops_jupyter.registry import register_model

    home = tmp_path_factory.mktemp("dashboard-home")
    shutil.copyfile(_empty_store, home / "mlflow.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config.HOME_ENV, str(home))
        patch.delenv(config.TRACKING_URI_ENV, raising=False)
        pipeline_run_ids = seed_registry(iris_model)
        checks = seed_checks(MODEL, version="2")
        folder = home / "dashboards"
        publish_all(MODEL)
        register_model(iris_model, GHOST)
        publish(GHOST, "drift")
        store.client().delete_registered_model(GHOST)
    plain = folder / "notes.ipynb"  # a notebook, but not a published dashboard
    plain.write_text((folder / f"{MODEL}-drift.ipynb").read_text().replace(
        '"mlops_dashboard"', '"something_else"'))
    return DashboardHome(home=home, dashboards=folder, checks=checks,
                         pipeline_run_ids=pipeline_run_ids)


@pytest.fixture
def dashboard_env(dashboard_home, monkeypatch) -> DashboardHome:
    """This test process pointed at ``dashboard_home`` (read-only use)."""
    monkeypatch.setenv(config.HOME_ENV, str(dashboard_home.home))
    monkeypatch.delenv(config.TRACKING_URI_ENV, raising=False)
    return dashboard_home


def start_voila(home: DashboardHome, log_path: Path, **options):
    """A started :class:`~mlops_jupyter.dashboards.serve.VoilaServer` on loopback."""
    from mlops_jupyter.dashboards.serve import ServeOptions, VoilaServer

    settings = ServeOptions(directory=home.dashboards, port=0, **options).validated()
    return VoilaServer(settings, log_path=log_path, env=home.env).start(timeout=90)


@pytest.fixture(scope="module")
def voila(dashboard_home, tmp_path_factory):
    """One Voila server for a test module (stopped by its pid at the end)."""
    log = tmp_path_factory.mktemp("voila-log") / "voila.log"
    server = start_voila(dashboard_home, log, max_kernels=4, idle_timeout=60)
    yield server
    server.stop()
