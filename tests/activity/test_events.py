"""The activity service's events, from a real job store, registry and drift checks."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from mlops_jupyter import config
from mlops_jupyter.activity.contracts import EventsQuery
from mlops_jupyter.activity.service import ActivityService


@pytest.fixture
def jobs(registry_home, monkeypatch, tmp_path):
    """A JobStore on ``<home>/jobs.db`` (the store the service's host opens)."""
    from mlops_jupyter.scheduling.store import JobStore

    monkeypatch.delenv(config.JOB_DB_ENV, raising=False)
    job_store = JobStore()
    yield job_store
    job_store.close()


@pytest.fixture
def service(jobs, tmp_path):
    return ActivityService(SimpleNamespace(store=jobs), root_dir=tmp_path / "root")


def now_ms() -> int:
    return int(time.time() * 1000)


def finished_pipeline(jobs, root, status, error=None, mlflow_run_id=None):
    target = root / "churn" / "pipeline.yaml"
    job = jobs.create_run_job(str(target), "run-1", parameters={}, options={},
                              scheduler_id="s1")
    jobs.start_job(job["id"])
    return jobs.finish_job(job["id"], status, error=error, mlflow_run_id=mlflow_run_id)


def test_a_failed_pipeline_job_is_a_failed_event_with_its_error(service, jobs, tmp_path):
    since = now_ms() - 1
    run_id = "a" * 32
    job = finished_pipeline(jobs, tmp_path / "root", "FAILED", mlflow_run_id=run_id,
                            error=f"step train failed: ValueError: bad {tmp_path}/root/x.csv")

    events = service.events(EventsQuery(since=since)).events

    assert len(events) == 1
    event = events[0]
    assert (event.kind, event.outcome) == ("pipeline", "failed")
    assert event.id == f"job-{job['id']}"
    assert event.title == "Pipeline churn/pipeline.yaml failed"
    assert "step train failed: ValueError: bad x.csv" in event.message
    assert str(tmp_path) not in event.message
    assert "run aaaaaaaa" in event.message
    assert event.link.model_dump() == {"kind": "run", "target": run_id, "label": "Open run"}


def test_since_filters_jobs_by_when_they_ended(service, jobs, tmp_path):
    finished_pipeline(jobs, tmp_path / "root", "SUCCEEDED")
    time.sleep(0.01)
    middle = now_ms()
    time.sleep(0.01)
    second = finished_pipeline(jobs, tmp_path / "root", "INTERRUPTED")

    before = service.events(EventsQuery(since=middle - 60_000)).events
    after = service.events(EventsQuery(since=middle)).events
    later = service.events(EventsQuery(since=now_ms() + 1000)).events

    assert [e.outcome for e in before] == ["succeeded", "interrupted"]
    assert [e.id for e in after] == [f"job-{second['id']}"]
    assert after[0].link.kind == "job" and after[0].link.target == str(second["id"])
    assert later == []


def test_a_scheduled_job_is_a_job_event_and_skipped_ticks_are_none(service, jobs, tmp_path):
    since = now_ms() - 1
    schedule = jobs.add_schedule({"name": "nightly", "target_type": "notebook",
                                  "target": str(tmp_path / "root" / "train.ipynb"),
                                  "cron": "0 3 * * *"})
    job = jobs.create_job(schedule, "manual")
    jobs.start_job(job["id"])
    jobs.finish_job(job["id"], "TIMED_OUT", error="timed out after 60 s")
    skipped = jobs.create_job(schedule, "manual")
    jobs.finish_job(skipped["id"], "SKIPPED")

    events = service.events(EventsQuery(since=since)).events

    assert [(e.kind, e.outcome, e.title) for e in events] == [
        ("job", "failed", f"Job nightly (#{job['id']}) timed out")]
    assert events[0].message.startswith("timed out after 60 s")


def test_a_promotion_and_a_rollback_are_events(service, registered):
    since = now_ms() - 1
    registered("iris", alias="champion")
    from mlops_jupyter.registry import rollback, set_alias

    registered("iris")
    set_alias("iris", "champion", "2", reason="better recall", actor="live-gate")
    rollback("iris", "champion", reason="latency")

    events = service.events(EventsQuery(since=since)).events

    kinds = [(e.kind, e.outcome, e.title) for e in events]
    assert ("promotion", "succeeded", "iris v1 is now champion") in kinds
    assert ("promotion", "succeeded", "iris v2 is now champion") in kinds
    assert kinds[-1] == ("rollback", "succeeded", "iris champion rolled back to v1")
    live = next(e for e in events if e.title == "iris v2 is now champion")
    assert "the live gate" in live.message and "better recall" in live.message
    assert live.link.model_dump() == {"kind": "model", "target": "iris",
                                      "label": "Open model"}
    assert service.events(EventsQuery(since=now_ms() + 1000)).events == []
    assert service.events(EventsQuery(since=2**63 - 1)).events == []  # a client's first look


def test_a_drift_check_with_alerts_is_an_alert_event(service, monitored_iris):
    since = now_ms() - 1
    monitored_iris(drifted=False)
    monitored_iris(drifted=True)

    events = [e for e in service.events(EventsQuery(since=since)).events if e.kind == "drift"]

    assert len(events) == 1
    assert events[0].outcome == "alert"
    assert events[0].title == "Drift alert on iris v1"
    assert "drift share" in events[0].message
    assert events[0].link.kind == "run"


def test_default_window_and_a_broken_source_does_not_silence_the_others(registry_home,
                                                                        registered):
    class BrokenHost:
        @property
        def store(self):
            raise RuntimeError("job store down")

    registered("iris", alias="champion")
    service = ActivityService(BrokenHost())

    events = service.events(EventsQuery()).events

    assert [e.kind for e in events] == ["promotion"]
