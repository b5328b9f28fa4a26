"""Tracking status: the store without credentials, bounded reachability, live sessions
from their heartbeat files."""

from __future__ import annotations

import json
import os
import time

import pytest

from mlops_jupyter import config
from mlops_jupyter.activity import status
from mlops_jupyter.activity.contracts import MlflowUi
from mlops_jupyter.activity.service import ActivityService
from mlops_jupyter.tracking import heartbeat
from mlops_jupyter.tracking.session import TrackingSession
from tests.magics.helpers import stop_flushers


@pytest.mark.parametrize(("uri", "shown", "kind"), [
    ("http://user:secret@mlflow.example:5000/", "http://***@mlflow.example:5000/", "http"),
    ("https://tok@mlflow.example/a?token=secret#x", "https://***@mlflow.example/a", "https"),
    ("postgresql+psycopg://ml:secret@db:5432/mlflow", "postgresql+psycopg://***@db:5432/mlflow",
     "postgresql"),
    ("sqlite:////home/ann/.mlops-jupyter/mlflow.db", "sqlite:///…/mlflow.db", "sqlite"),
    ("/srv/mlruns", "file:…/mlruns", "file"),
    ("file:///srv/mlruns", "file:…/mlruns", "file"),
    ("databricks", "databricks", "databricks"),
])
def test_the_store_is_shown_without_credentials_or_folders(uri, shown, kind):
    assert status.display_store(uri) == shown
    assert status.store_kind(uri) == kind
    assert "secret" not in status.display_store(uri)


def test_the_mlflow_ui_of_a_tracking_server_is_the_server_itself_without_credentials():
    found = status.mlflow_ui_location("/lab/mlflow/", "https://u:secret@ml.example/team")
    assert found == MlflowUi(url="https://ml.example/team/", proxied=False)
    assert status.mlflow_ui_location("/lab/mlflow/", "sqlite:///x.db") == MlflowUi(
        url="/lab/mlflow/", proxied=True)
    assert status.mlflow_ui_location(None, "sqlite:///x.db") == MlflowUi(url=None,
                                                                         proxied=False)


def test_a_dead_tracking_server_is_unreachable_within_the_timeout(mlops_home, monkeypatch):
    monkeypatch.setenv(config.TRACKING_URI_ENV, "http://user:secret@127.0.0.1:1/")

    answer = ActivityService().status()

    assert answer.reachable is False
    assert answer.last_store_error
    assert "secret" not in answer.model_dump_json()
    assert answer.store == "http://***@127.0.0.1:1/"
    assert answer.mlflow_ui.url == "http://127.0.0.1:1/"


def test_reachability_is_cached_and_a_slow_probe_is_not_waited_for(monkeypatch):
    calls = []

    def slow(uri, timeout):
        calls.append(uri)
        time.sleep(0.5)

    monkeypatch.setattr(status, "_probe_store", slow)
    probe = status.StoreProbe(ttl=60, timeout=0.05)

    assert probe.check("x") == (False, "the store did not answer within 0.05 s")
    probe.timeout = 5
    assert probe.check("x") == (True, None)   # waits for the probe already running
    assert probe.check("x") == (True, None)   # cached
    assert calls == ["x"]


def test_a_tracking_session_is_listed_while_it_runs(registry_home, tmp_path):
    notebook = tmp_path / "churn.ipynb"
    notebook.write_text("{}")
    session = TrackingSession()
    service = ActivityService()
    try:
        session.start("status-test", notebook)
        assert session.flush(30)
        run_id = session.status().session_run_id

        answer = service.status()

        assert answer.reachable is True and answer.last_store_error is None
        assert answer.store_kind == "sqlite" and answer.store == "sqlite:///…/mlflow.db"
        [mine] = [s for s in answer.sessions if s.pid == os.getpid()]
        assert mine.run_id == run_id and run_id
        assert (mine.experiment, mine.notebook) == ("status-test", "churn.ipynb")
        assert mine.pending == 0 and mine.spooled == 0 and mine.last_error is None
        record = json.loads((registry_home / "sessions" / f"{os.getpid()}.json").read_text())
        assert record["journal"] and record["session_key"]

        session.stop()
        assert session.flush(30)
        assert [s for s in service.status().sessions if s.pid == os.getpid()] == []
        assert not (registry_home / "sessions" / f"{os.getpid()}.json").exists()
    finally:
        session.shutdown()
        stop_flushers(registry_home / "spool")


def test_heartbeats_of_dead_processes_and_garbage_are_not_listed(mlops_home):
    folder = heartbeat.sessions_dir(create=True)
    (folder / "999999999.json").write_text(json.dumps({"pid": 999999999}))
    (folder / "garbage.json").write_text("{not json")
    (folder / "list.json").write_text("[1, 2]")

    assert heartbeat.live_sessions() == []


def test_events_of_exited_kernels_count_as_spooled(mlops_home):
    spool = config.spool_dir()
    (spool / "999999999-abc.events").write_text('{"seq":1}\n{"seq":2}\n{"seq":3}\n')
    (spool / "999999999-abc.acks").write_text("1\n")
    (spool / f"{os.getpid()}-live.events").write_text('{"seq":1}\n')

    assert status.exited_spooled(spool) == 2
