"""``/mlops-jupyter/schedules`` and ``/jobs`` against a real Jupyter server whose
in-server scheduler (configured through ``jp_server_config``) really fires a pipeline.

Every test's server uses the test's own mlops-jupyter home (job store, logs, MLflow);
its scheduler thread and job processes are stopped when the test ends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.scheduling import contracts
from mlops_jupyter.scheduling.store import JobStore, utcnow
from mlops_jupyter.server.schedules import SERVICE_SETTING
from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import write_notebook
from tests.server.authorization import read_only_authorizer, with_authorizer

NAMESPACE = "mlops-jupyter"
FIRE_TIMEOUT_S = 120
EVERY_3_SECONDS = "* * * * * */3"  # croniter's 6th field: seconds

PIPELINE_YAML = """\
name: tiny
experiment: tiny-scheduled
steps:
  - name: count
    notebook: count.ipynb
    parameters: {n: 3}
    outputs: {numbers: out/numbers.txt}
"""

COUNT_CODE = """\
from pathlib import Path
Path("out").mkdir(exist_ok=True)
Path("out/numbers.txt").write_text(" ".join(str(i) for i in range(n)))
"""


# ------------------------------------------------------------------ the server
@pytest.fixture
def scheduler_enabled() -> bool:
    """Overridden with ``@pytest.mark.parametrize("scheduler_enabled", [False])``."""
    return True


@pytest.fixture
def job_store_url() -> str:
    """Empty: the default store, ``<the test's home>/jobs.db``."""
    return ""


@pytest.fixture
def jp_server_config(jp_server_config, mlops_home, scheduler_enabled, job_store_url):
    """The shared test config with the in-server scheduler on (polling fast)."""
    mlops_home.mkdir(parents=True, exist_ok=True)
    return {**jp_server_config,
            "MLOpsExtensionApp": {"scheduler_enabled": scheduler_enabled,
                                  "scheduler_poll_interval": 0.5,
                                  "job_store_url": job_store_url}}


@pytest.fixture
def root(jp_root_dir, mlops_home) -> Path:
    """The server root: ``proj/pipeline.yaml`` (one step) and ``proj/count.ipynb``."""
    project = jp_root_dir / "proj"
    write_notebook(project / "count.ipynb", "n = 2", [COUNT_CODE])
    (project / "pipeline.yaml").write_text(PIPELINE_YAML)
    (project / "notes.txt").write_text("not a target")
    yield jp_root_dir
    if (mlops_home / "spool").is_dir():
        stop_flushers(mlops_home / "spool")


@pytest.fixture
def host(jp_serverapp):
    """The server's scheduler host; stopped (scheduler thread, job processes) at the end."""
    host = jp_serverapp.web_app.settings[SERVICE_SETTING].host
    yield host
    host.stop()
    assert not [t for t in threading.enumerate()
                if t.name.startswith(("mlops-scheduler", "mlops-job-")) and t.is_alive()]


def contract_of(method: str, parts: tuple[str, ...]):
    """The declared model of a successful answer (mlops_jupyter.scheduling.contracts)."""
    if parts[0] == "jobs":
        return contracts.JobList if len(parts) == 1 else contracts.Job
    if len(parts) == 1:
        return contracts.ScheduleList if method == "GET" else contracts.Schedule
    if len(parts) == 2:
        return {"presets": contracts.PresetList, "preview": contracts.CronPreview,
                "targets": contracts.TargetList}.get(parts[1], contracts.Schedule)
    return contracts.Job if parts[2] == "run" else contracts.Schedule


@pytest.fixture
def api(jp_fetch, host, root):
    async def call(*parts: str, method: str = "GET", body=None, params=None, **kwargs):
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if method == "POST" and body is None:
            body = "{}"
        response = await jp_fetch(NAMESPACE, *parts, method=method, body=body,
                                  params=params, **kwargs)
        answer = json.loads(response.body) if response.body else None
        if answer is not None:
            contract_of(method, parts).model_validate(answer)  # the declared shape, exactly
        return response.code, answer

    return call


async def error_of(call) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as caught:
        await call
    return caught.value.code, json.loads(caught.value.response.body)["error"]


def new_schedule(**changes) -> dict:
    return {"target": "proj/pipeline.yaml", "cron": "0 2 * * *", "timezone": "Europe/Paris",
            "missed": "skip", **changes}


async def wait_for_job(api, name: str, status: str) -> dict:
    deadline = time.monotonic() + FIRE_TIMEOUT_S
    jobs: list = []
    while time.monotonic() < deadline:
        _, body = await api("jobs", params={"schedule": name})
        jobs = body["jobs"]
        found = [job for job in jobs if job["status"] == status]
        if found:
            return found[0]
        await asyncio.sleep(0.3)
    pytest.fail(f"no {status} job of {name} in {FIRE_TIMEOUT_S} s: {jobs}")


# ------------------------------------------------------------------------ CRUD
async def test_create_list_pause_resume_delete(api, host, mlops_home, root):
    code, created = await api("schedules", method="POST", body=new_schedule(
        name="nightly", params=["count.n=5"], missed="catch_up_once"))

    assert code == 201
    assert created["name"] == "nightly"
    assert created["target"] == "proj/pipeline.yaml" and created["target_in_root"]
    assert created["target_type"] == "pipeline"
    assert created["parameters"] == {"count.n": 5}
    assert created["cron"] == "0 2 * * *" and created["timezone"] == "Europe/Paris"
    assert created["missed"] == "catch_up_once" and created["enabled"] is True
    assert created["next_human"].startswith("in ")
    # The job store is the test's home, not the user's.
    assert (mlops_home / "jobs.db").is_file()

    _, listed = await api("schedules")
    (shown,) = listed["schedules"]
    assert shown["name"] == "nightly" and shown["last_job"] is None
    assert shown["next"] == created["next"]
    assert str(root) not in json.dumps(listed)
    assert {"label": "hourly", "cron": "0 * * * *"} in listed["presets"]
    assert listed["scheduler"] == {"enabled": True, "running": True, "error": None,
                                   "poll_interval": 0.5}

    code, paused = await api("schedules", "nightly", "pause", method="POST")
    assert code == 200 and paused["enabled"] is False and paused["next"] is None
    _, resumed = await api("schedules", "nightly", "resume", method="POST")
    assert resumed["enabled"] is True and resumed["next_human"].startswith("in ")
    _, one = await api("schedules", "nightly")
    assert one["enabled"] is True

    code, _ = await api("schedules", "nightly", method="DELETE")
    assert code == 204
    _, listed = await api("schedules")
    assert listed["schedules"] == []
    assert (await error_of(api("schedules", "nightly")))[0] == 404


async def test_a_notebook_target_with_a_parameter_mapping(api):
    code, created = await api("schedules", method="POST", body={
        "target": "proj/count.ipynb", "cron": "*/5 * * * *", "params": {"n": 7}})

    assert code == 201
    assert created["name"] == "count"  # the target's stem
    assert created["target_type"] == "notebook" and created["target"] == "proj/count.ipynb"
    assert created["parameters"] == {"n": 7}
    assert created["timezone"] == "UTC" and created["missed"] == "skip"


MONITOR_YAML = """\
monitor:
  model: iris@champion
  current: data/current.csv
  rules:
    - name: data-drift
      drift_share_above: 0.3
"""


async def test_targets_list_pipelines_and_monitor_files(api, root):
    (root / "proj" / "monitor.yaml").write_text(MONITOR_YAML)
    (root / "proj" / "broken.yaml").write_text("steps: [oops\n")
    (root / "proj" / "other.yaml").write_text("just: data\n")

    code, body = await api("schedules", "targets")

    assert code == 200
    assert body == {"targets": [
        {"path": "proj/monitor.yaml", "kind": "monitor", "name": "iris@champion"},
        {"path": "proj/pipeline.yaml", "kind": "pipeline", "name": "tiny"}],
        "truncated": False}


async def test_a_monitor_file_is_a_schedule_target(api, root):
    (root / "proj" / "monitor.yaml").write_text(MONITOR_YAML)

    code, created = await api("schedules", method="POST", body=new_schedule(
        target="proj/monitor.yaml", name="drift-hourly", cron="0 * * * *"))

    assert code == 201
    assert (created["target_type"], created["target"]) == ("monitor", "proj/monitor.yaml")
    assert created["parameters"] == {}
    code, error = await error_of(api("schedules", method="POST", body=new_schedule(
        target="proj/monitor.yaml", name="with-params", params=["a=1"])))
    assert (code, error) == (400, "a monitor file takes no parameters; edit the file instead")


async def test_a_schedule_cannot_be_named_targets(api, root):
    code, error = await error_of(api("schedules", method="POST",
                                     body=new_schedule(name="targets")))
    assert code == 400 and "reserved" in error


async def test_targets_outside_the_root_are_shown_without_their_path(api, tmp_path):
    outside = write_notebook(tmp_path / "elsewhere" / "secret.ipynb", "x = 1", [])
    store = JobStore()  # the store the server uses: the test's home
    store.add_schedule({"name": "cli-made", "target_type": "notebook", "target": str(outside),
                        "parameters": {}, "cron": "0 3 * * *", "timezone": "UTC",
                        "missed": "skip", "enabled": True})
    store.close()

    _, listed = await api("schedules")

    (shown,) = listed["schedules"]
    assert shown["target"] == "secret.ipynb" and shown["target_in_root"] is False
    assert str(tmp_path) not in json.dumps(listed)


async def test_duplicate_names_are_409_and_nothing_changes(api):
    await api("schedules", method="POST", body=new_schedule(name="dup"))

    code, message = await error_of(api("schedules", method="POST",
                                       body=new_schedule(name="dup", cron="0 5 * * *")))

    assert code == 409
    assert message == "a schedule named 'dup' already exists"
    _, one = await api("schedules", "dup")
    assert one["cron"] == "0 2 * * *"


# --------------------------------------------------------------------- preview
async def test_preview_lists_the_next_five_times_in_the_zone(api):
    code, body = await api("schedules", "preview", method="POST",
                           body={"cron": "0  2 * * *", "timezone": "Europe/Paris"})

    assert code == 200
    assert body["cron"] == "0 2 * * *"
    assert len(body["next"]) == len(body["local"]) == len(body["human"]) == 5
    assert body["next"] == sorted(body["next"])
    assert all(text.endswith(("CET", "CEST")) and " 02:00:00 " in text
               for text in body["local"])
    assert all(text.startswith("in ") for text in body["human"])


async def test_preview_of_seconds(api):
    _, body = await api("schedules", "preview", method="POST",
                        body={"cron": EVERY_3_SECONDS, "timezone": "UTC"})

    times = [datetime.fromisoformat(t) for t in body["next"]]
    assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {3.0}


async def test_presets(api):
    code, body = await api("schedules", "presets")

    assert code == 200
    assert {"label": "daily at 02:00", "cron": "0 2 * * *"} in body["presets"]
    for preset in body["presets"]:  # every preset previews
        await api("schedules", "preview", method="POST", body={"cron": preset["cron"]})


@pytest.mark.parametrize(("body", "message"), [
    ({"cron": "every day"}, "invalid cron expression 'every day'"),
    ({"cron": "61 * * * *"},
     "invalid cron expression '61 * * * *': minute 61 is out of range 0–59"),
    ({"cron": "0 24 * * *"}, "hour 24 is out of range 0–23"),
    ({"cron": "0 0 30 2 *"}, "never fires (an impossible date such as February 30?)"),
    ({"cron": "0 2 * * *", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"cron": ""}, "cron must be a cron expression"),
    ({"cron": 5}, "cron must be a string"),
    ({"cron": "* * * * *", "when": "now"}, "unknown field 'when'"),
])
async def test_bad_previews_are_400_with_the_reason(api, body, message):
    code, error = await error_of(api("schedules", "preview", method="POST", body=body))

    assert code == 400
    assert message in error


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"cron": "not a cron"}, 400, "invalid cron expression 'not a cron'"),
    ({"cron": "0 0 30 2 *"}, 400, "never fires"),
    ({"cron": "0 0 31 4 *"}, 400, "never fires"),  # April 31
    ({"timezone": "Europe/Atlantis"}, 400, "unknown time zone 'Europe/Atlantis'"),
    ({"timezone": "../../etc/passwd"}, 400, "unknown time zone"),
    ({"target": "/etc/passwd"}, 400, "target must be relative to the server root"),
    ({"target": "../outside/pipeline.yaml"}, 400, "target may not contain '..'"),
    ({"target": "proj/%2e%2e/%2e%2e/x.yaml"}, 400, "not allowed in a path"),
    ({"target": "proj/linked.yaml"}, 400, "target leads outside the server root"),
    ({"target": "proj/missing.yaml"}, 404, "no file 'proj/missing.yaml'"),
    ({"target": "proj/notes.txt"}, 400, "neither a pipeline file (.yaml) nor a notebook"),
    ({"target": ""}, 400, "target must be a non-empty path"),
    ({"params": ["count.1n=3"]}, 400, "1n"),
    ({"params": ["nope"]}, 400, "nope"),
    ({"params": ["count.n=1", 3]}, 400, "params must be a list of NAME=VALUE strings"),
    ({"target": "proj/count.ipynb", "params": ["bad name=1"]}, 400, "Python identifier"),
    ({"target": "proj/count.ipynb", "params": {"import os": 1}}, 400, "Python identifier"),
    ({"target": "proj/count.ipynb", "params": ["x\nimport os=1"]}, 400, "Python identifier"),
    ({"missed": "sometimes"}, 400, "missed must be one of skip, catch_up_once"),
    ({"name": "bad name!"}, 400, "schedule name 'bad name!'"),
    ({"cron": 7}, 400, "cron must be a string"),
    ({"params": "n=1"}, 400, "params must be a list of NAME=VALUE strings or an object"),
    ({"every": "day"}, 400, "unknown field 'every'"),
])
async def test_bad_schedules_are_refused_and_nothing_is_written(api, root, tmp_path, changes,
                                                                status, message):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "p.yaml").write_text(PIPELINE_YAML)
    (root / "proj" / "linked.yaml").symlink_to(tmp_path / "outside" / "p.yaml")

    code, error = await error_of(api("schedules", method="POST", body=new_schedule(**changes)))

    assert code == status
    assert message in error
    assert str(root) not in error and str(tmp_path) not in error
    _, listed = await api("schedules")
    assert listed["schedules"] == []


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
async def test_bodies_must_be_json_objects(api, body):
    code, error = await error_of(api("schedules", method="POST", body=body))

    assert code == 400 and "JSON" in error


@pytest.mark.parametrize(("method", "parts"), [
    ("GET", ("schedules", "ghost")),
    ("DELETE", ("schedules", "ghost")),
    ("POST", ("schedules", "ghost", "pause")),
    ("POST", ("schedules", "ghost", "resume")),
    ("POST", ("schedules", "ghost", "run")),
    ("GET", ("jobs", "999")),
    ("GET", ("jobs", "abc")),
    ("GET", ("jobs", "\u00b9\u00b9")),  # superscript digits: isdigit() but not int() (fuzzing)
    ("POST", ("jobs", "\u00b2", "cancel")),
    ("POST", ("jobs", "999", "cancel")),
])
async def test_unknown_schedules_and_jobs_are_404(api, method, parts):
    code, error = await error_of(api(*parts, method=method))

    assert code == 404
    assert "ghost" in error or "no job" in error


@pytest.mark.parametrize(("params", "message"), [
    ({"status": "DONE"}, "unknown status 'DONE'"),
    ({"limit": "0"}, "limit must be between 1 and 500"),
    ({"limit": "many"}, "limit must be a whole number"),
])
async def test_bad_job_queries_are_400(api, params, message):
    code, error = await error_of(api("jobs", params=params))

    assert code == 400 and message in error


# ---------------------------------------------------------- the real scheduler
async def test_a_seconds_cron_fires_a_real_pipeline(api, host, root, mlops_home, jp_fetch):
    """The in-server scheduler fires the tick, runs the pipeline, records the job."""
    code, _ = await api("schedules", method="POST", body=new_schedule(
        name="fast", cron=EVERY_3_SECONDS, timezone="UTC", params={"count.n": 4}))
    assert code == 201

    job = await wait_for_job(api, "fast", "SUCCEEDED")

    assert job["trigger"] == "cron" and job["tick"] is not None
    assert job["scheduler_id"] == host.scheduler.id
    assert job["duration_s"] > 0 and job["error"] is None
    assert job["target"] == "proj/pipeline.yaml"
    assert job["run_dir"] == f"proj/mlops-jobs/job-{job['id']}"
    assert job["outputs"] == [f"proj/mlops-jobs/job-{job['id']}/count.ipynb"]
    assert (root / job["outputs"][0]).is_file()
    assert (root / "proj" / "out" / "numbers.txt").read_text() == "0 1 2 3"
    assert job["mlflow_run_id"]
    _, again = await api("jobs", str(job["id"]))
    assert again == job
    assert str(root) not in json.dumps(again) and str(mlops_home) not in json.dumps(again)
    _, listed = await api("schedules")
    assert listed["schedules"][0]["last_job"]["schedule"] == "fast"

    # Paused: no later tick is fired, even with the clock a minute (20 ticks) ahead.
    # (A tick the scheduler thread claimed just before the pause is older than it.)
    await api("schedules", "fast", "pause", method="POST")
    paused = utcnow()
    await asyncio.to_thread(host.scheduler.tick, now=paused + timedelta(minutes=1))
    _, after = await api("jobs", params={"schedule": "fast", "limit": "500"})
    assert all(datetime.fromisoformat(j["tick"]) <= paused for j in after["jobs"]), after

    # Run now, then cancel it while it runs; a finished job cannot be cancelled.
    code, manual = await api("schedules", "fast", "run", method="POST")
    assert code == 202
    assert manual["trigger"] == "manual" and manual["status"] == "RUNNING"
    code, message = await error_of(api("schedules", "fast", "run", method="POST"))
    assert code == 409 and "still RUNNING" in message
    code, cancelled = await api("jobs", str(manual["id"]), "cancel", method="POST")
    assert code == 200
    assert cancelled["status"] == "INTERRUPTED" and cancelled["error"] == "cancelled by the user"
    for finished in (manual["id"], job["id"]):
        code, message = await error_of(api("jobs", str(finished), "cancel", method="POST"))
        assert code == 409 and "already ended" in message
    _, filtered = await api("jobs", params={"schedule": "fast", "status": "INTERRUPTED"})
    assert [j["id"] for j in filtered["jobs"]] == [manual["id"]]
    # The pipeline's run history lists the job as a scheduled run.
    response = await jp_fetch(NAMESPACE, "pipelines", "history",
                              params={"path": "proj/pipeline.yaml", "limit": "50"})
    history = json.loads(response.body)
    scheduled = {run["run_id"]: run for run in history["runs"]}[f"job-{job['id']}"]
    assert (scheduled["trigger"], scheduled["status"], scheduled["ok"]) == \
        ("scheduled", "FINISHED", 1)


@pytest.mark.parametrize("scheduler_enabled", [False])
async def test_without_the_scheduler_run_now_is_409(api, host):
    await api("schedules", method="POST", body=new_schedule(name="manual-only"))

    code, message = await error_of(api("schedules", "manual-only", "run", method="POST"))

    assert code == 409
    assert "scheduler is disabled in this Jupyter server" in message
    _, listed = await api("schedules")
    assert listed["scheduler"]["enabled"] is False and listed["scheduler"]["running"] is False
    _, jobs = await api("jobs")
    assert jobs["jobs"] == []
    assert host.scheduler is None


# ----------------------------------------------------------- store unavailable
@pytest.mark.parametrize("job_store_url", ["sqlite:////nonexistent-mlops/dir/jobs.db"])
async def test_an_unavailable_store_is_503_and_the_server_keeps_serving(api, host):
    code, message = await error_of(api("schedules"))

    assert code == 503
    assert message.startswith("the job store is unavailable")
    assert host.scheduler is None and host.error.startswith("the job store is unavailable")
    code, body = await api("schedules", "presets")  # the rest still works
    assert code == 200 and body["presets"]


async def test_a_locked_store_is_503(api, mlops_home):
    await api("schedules")  # the store exists
    # Wait for the lock if the server is writing (its scheduler's heartbeat).
    locker = sqlite3.connect(mlops_home / "jobs.db", timeout=30, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        code, message = await error_of(api("schedules", method="POST", body=new_schedule()))
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    assert code == 503
    assert message == "the job store is locked by another writer; try again"
    _, listed = await api("schedules")
    assert listed["schedules"] == []


# ------------------------------------------------------------------------ auth
@pytest.mark.parametrize(("method", "parts"), [
    ("GET", ("schedules",)),
    ("POST", ("schedules",)),
    ("GET", ("schedules", "presets")),
    ("POST", ("schedules", "preview")),
    ("GET", ("schedules", "nightly")),
    ("DELETE", ("schedules", "nightly")),
    ("POST", ("schedules", "nightly", "pause")),
    ("POST", ("schedules", "nightly", "resume")),
    ("POST", ("schedules", "nightly", "run")),
    ("GET", ("jobs",)),
    ("GET", ("jobs", "1")),
    ("POST", ("jobs", "1", "cancel")),
])
async def test_anonymous_requests_are_forbidden(api, jp_fetch, method, parts):
    await api("schedules", method="POST", body=new_schedule(name="nightly"))
    body = json.dumps(new_schedule(name="other")) if method == "POST" else None

    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *parts, method=method, body=body,
                       headers={"Authorization": ""})

    assert caught.value.code == 403
    _, listed = await api("schedules")
    assert [s["name"] for s in listed["schedules"]] == ["nightly"]
    assert listed["schedules"][0]["enabled"] is True


class TestReadOnlyUser:
    """A user who may look at schedules and jobs, not change or run them."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return with_authorizer(jp_server_config, read_only_authorizer("mlops_schedules"))

    async def test_can_list_but_not_create_change_run_or_cancel(self, api, host):
        store = host.store
        store.add_schedule({"name": "nightly", "target_type": "pipeline",
                            "target": str(Path.cwd() / "nowhere.yaml"), "parameters": {},
                            "cron": "0 3 * * *", "timezone": "UTC", "missed": "skip",
                            "enabled": True})
        job = store.create_job(store.schedule("nightly"), "manual", "elsewhere")
        _, listed = await api("schedules")
        assert [s["name"] for s in listed["schedules"]] == ["nightly"]
        _, jobs = await api("jobs")
        assert [j["id"] for j in jobs["jobs"]] == [job["id"]]
        _, preview = await api("schedules", "preview", method="POST",
                               body={"cron": "0 3 * * *"})
        assert len(preview["next"]) == 5

        refused = [
            ("POST", ("schedules",), new_schedule(name="other"), "write"),
            ("DELETE", ("schedules", "nightly"), None, "write"),
            ("POST", ("schedules", "nightly", "pause"), {}, "write"),
            ("POST", ("schedules", "nightly", "run"), {}, "execute"),
            ("POST", ("jobs", str(job["id"]), "cancel"), {}, "execute"),
        ]
        for method, parts, body, action in refused:
            code, error = await error_of(api(*parts, method=method, body=body))
            assert code == 403, parts
            assert error == (f"User is not authorized to {action} on resource: "
                             "mlops_schedules.")
        _, listed = await api("schedules")
        assert [(s["name"], s["enabled"]) for s in listed["schedules"]] == [("nightly", True)]
        assert store.job(job["id"])["status"] == "QUEUED"
        assert [s["name"] for s in store.schedules()] == ["nightly"]
