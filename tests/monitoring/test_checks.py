"""Drift checks against a real registry: the MLflow record, alerts, webhooks, bad input."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import numpy as np
import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.monitoring import records
from mlops_jupyter.monitoring.alerts import ALLOW_ENV, validate_webhook_url
from mlops_jupyter.monitoring.checks import check, run_check
from mlops_jupyter.monitoring.references import build_profile
from mlops_jupyter.monitoring.spec import parse_monitor
from mlops_jupyter.registry import register_model
from mlops_jupyter.tracking import store


@pytest.fixture
def model(registry_home, make_run, iris_model, iris):
    """``iris`` v1 = champion, registered with its training data as the reference."""
    features, _ = iris
    reference = features.assign(prediction=iris_model.predict(features))
    register_model(iris_model, "iris", run_id=make_run(), alias="champion",
                   reference=build_profile(reference, prediction_column="prediction"))
    return "iris"


def shifted(iris, iris_model, columns=("petal length (cm)", "petal width (cm)",
                                       "sepal length (cm)")):
    features, _ = iris
    frame = features.copy()
    for column in columns:
        frame[column] = frame[column] + 3 * frame[column].std()
    return frame.assign(prediction=iris_model.predict(features))


def test_unshifted_data_does_not_drift_and_the_check_is_recorded(model, iris, iris_model):
    features, _ = iris
    current = features.sample(frac=1.0, random_state=1).assign(
        prediction=iris_model.predict(features))
    outcome = check("iris", current)
    assert outcome["version"] == "1" and outcome["result"]["dataset_drift"] is False
    assert outcome["result"]["prediction"]["drifted"] is False
    client = store.client()
    run = client.get_run(outcome["run_id"])
    assert run.data.tags[records.TAG_KIND] == records.KIND
    assert run.data.tags[records.TAG_DATASET_DRIFT] == "false"
    assert run.data.metrics["drift_share"] == 0 and run.data.metrics["checked_columns"] == 5
    assert records.metric_key("drift_score", "petal length (cm)") in run.data.metrics
    artifacts = {item.path for item in client.list_artifacts(outcome["run_id"], "drift")}
    assert artifacts == {records.RESULT_ARTIFACT, records.REPORT_ARTIFACT}
    (summary,) = records.search_checks(client, "iris")
    assert summary["run_id"] == outcome["run_id"] and summary["dataset_drift"] is False


def test_shifted_data_drifts_and_fires_rules(model, iris, iris_model):
    spec = parse_monitor({"model": "iris@champion", "rules": [
        {"name": "share", "drift_share_above": 0.5},
        {"name": "petal", "column_drifts": "petal width (cm)"},
        {"name": "sepal-width", "column_drifts": "sepal width (cm)"}]}, root=_root())
    outcome = run_check(spec, current=shifted(iris, iris_model))
    result = outcome["result"]
    assert result["dataset_drift"] is True and result["number_of_drifted_columns"] == 3
    assert sorted(a["rule"] for a in outcome["alerts"]) == ["petal", "share"]
    summary = records.search_checks(store.client(), "iris")[0]
    assert summary["dataset_drift"] is True and summary["drift_share"] == 0.6  # 3 of 4 + pred
    assert [a["rule"] for a in summary["alerts"]] == [a["rule"] for a in outcome["alerts"]]
    assert "petal width (cm)" in summary["drifted"]


def _root():
    from pathlib import Path

    return Path.cwd()


class Receiver(BaseHTTPRequestHandler):
    """Records POSTs; ``/redirect`` answers 302 to ``/elsewhere``."""

    received: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, json.loads(body)))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(monkeypatch):
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_webhook_is_delivered_and_redirects_are_not_followed(model, iris, iris_model,
                                                             receiver):
    spec = parse_monitor({"model": "iris", "rules": [
        {"name": "hook", "drift_share_above": 0.1, "webhook": f"{receiver}/alerts"},
        {"name": "moved", "drift_share_above": 0.1, "webhook": f"{receiver}/redirect"}]},
        root=_root())
    outcome = run_check(spec, current=shifted(iris, iris_model), report=False)
    by_rule = {alert["rule"]: alert for alert in outcome["alerts"]}
    assert by_rule["hook"]["webhook_status"] == "delivered: HTTP 204"
    assert by_rule["moved"]["webhook_status"] == "failed: redirect 302 not followed"
    paths = [path for path, _ in Receiver.received]
    assert sorted(paths) == ["/alerts", "/redirect"]  # never /elsewhere
    payload = dict(Receiver.received)["/alerts"]
    assert payload["model"] == "iris" and payload["check_run_id"] == outcome["run_id"]
    assert payload["alert"]["rule"] == "hook" and payload["dataset_drift"] is True


@pytest.mark.parametrize("url,words", [
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://localhost:8080/hook", "local address"),
    ("http://127.0.0.1/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://10.0.0.5/hook", "private"),
    ("http://0.0.0.0/hook", "refused"),
    ("http://metadata.google.internal/x", "local address"),
    ("ftp://example.com/x", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@example.com/", "no user:password"),
    ("not a url", "only http and https"),
])
def test_hostile_webhook_urls_are_refused(url, words):
    with pytest.raises(UsageError, match=words):
        validate_webhook_url(url)
    with pytest.raises(UsageError):  # refused already when the monitor file is read
        parse_monitor({"model": "m", "rules": [
            {"name": "r", "drift_share_above": 0.1, "webhook": url}]}, root=_root())


@pytest.mark.parametrize("change,words", [
    (lambda f: f.drop(columns=["petal width (cm)", "sepal width (cm)"]),
     "petal width (cm)"),
    (lambda f: f.iloc[0:0], "no rows"),
    (lambda f: f.assign(**{"petal width (cm)": "wide"}), "petal width (cm)"),
])
def test_bad_current_data_is_one_clear_error_and_records_nothing(model, iris, iris_model,
                                                                 change, words):
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check("iris", change(shifted(iris, iris_model)))
    assert records.search_checks(store.client(), "iris") == []


def test_an_all_nan_column_is_skipped_with_a_reason(model, iris, iris_model):
    current = shifted(iris, iris_model).assign(**{"sepal width (cm)": np.nan})
    outcome = check("iris", current, report=False)
    column = outcome["result"]["columns"]["sepal width (cm)"]
    assert column["status"] == "skipped" and column["reason"]
    assert outcome["result"]["number_of_columns"] == 4


def test_a_model_without_reference_profile_says_what_to_do(registry_home, make_run,
                                                           iris_model, iris):
    register_model(iris_model, "bare", run_id=make_run(), alias="champion")
    features, _ = iris
    with pytest.raises(NotFoundError, match="has no reference profile.*mlops drift reference"):
        check("bare", features)
    assert check("bare", features, reference=features, report=False)["result"][
        "dataset_drift"] is False


def test_unreadable_and_unknown_inputs(model, tmp_path):
    garbage = tmp_path / "current.parquet"
    garbage.write_bytes(b"not parquet at all")
    with pytest.raises(UsageError, match="cannot read current.parquet"):
        check("iris", garbage)
    with pytest.raises(UsageError, match="no data file missing.csv"):
        check("iris", tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="expected a .csv or .parquet"):
        check("iris", tmp_path / "current.json")
    with pytest.raises(NotFoundError):
        check("nobody", tmp_path / "missing.csv")
    with pytest.raises(NotFoundError, match="no alias 'staging'"):
        check("iris@staging", tmp_path / "missing.csv")


@pytest.mark.parametrize("raw,words", [
    ({"model": "iris", "rules": [{"name": "r"}]}, "exactly one of"),
    ({"model": "iris", "rules": [{"name": "r", "drift_share_above": 2}]}, "between 0 and 1"),
    ({"model": "iris", "rules": [{"name": "r", "metric_below": {"auc": 1}}]}, "not one of"),
    ({"model": "iris", "rules": [{"name": "r", "drift_share_above": 0.1, "retrain": True}]},
     "no retrain: block"),
    ({"model": "iris", "current": "../x.csv"}, "inside"),
    ({"model": "iris", "current": "x.txt"}, ".csv or .parquet"),
    ({"model": "iris", "alerts": []}, "unknown field(s) alerts"),
    ({"model": "iris", "retrain": {"pipeline": "nope.yaml"}}, "does not exist"),
    ({"model": "bad name"}, "invalid model name"),
])
def test_malformed_monitor_specs(tmp_path, raw, words):
    with pytest.raises(UsageError) as caught:
        parse_monitor(raw, root=tmp_path)
    assert words in str(caught.value)


def test_a_monitor_file_is_a_schedule_target_and_its_job_records_the_check(
        model, iris, iris_model, tmp_path):
    from mlops_jupyter.scheduling.job_process import run_job
    from mlops_jupyter.scheduling.schedules import build_schedule
    from mlops_jupyter.scheduling.store import JobStore

    shifted(iris, iris_model).to_csv(tmp_path / "window.csv", index=False)
    (tmp_path / "monitor.yaml").write_text(
        "monitor:\n  model: iris@champion\n  current: window.csv\n"
        "  rules: [{name: drift, drift_share_above: 0.3}]\n")
    fields = build_schedule(str(tmp_path / "monitor.yaml"), "0 * * * *", name="iris-drift")
    assert fields["target_type"] == "monitor" and fields["parameters"] == {}
    with pytest.raises(UsageError, match="takes no parameters"):
        build_schedule(str(tmp_path / "monitor.yaml"), "0 * * * *", params=["a=1"])
    store_ = JobStore()
    try:
        schedule = store_.add_schedule(fields)
        job = store_.create_job(schedule, "manual", "test")
        assert run_job(job["id"], store_) == "SUCCEEDED"
        finished = store_.job(job["id"])
    finally:
        store_.close()
    (summary,) = records.search_checks(store.client(), "iris")
    assert finished["mlflow_run_id"] == summary["run_id"]
    assert summary["dataset_drift"] is True and summary["alerts"][0]["rule"] == "drift"


def test_a_running_retrain_blocks_a_second_one(registry_home, tmp_path):
    import fcntl

    from mlops_jupyter import config
    from mlops_jupyter.monitoring.retrain import retrain
    from mlops_jupyter.monitoring.spec import Retrain

    (tmp_path / "pipeline.yaml").write_text("name: p\nsteps: [{name: a, notebook: a.ipynb}]\n")
    plan = Retrain(tmp_path / "pipeline.yaml", cooldown_minutes=0)
    folder = config.home_dir() / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "retrain-iris.lock", "a+") as held:  # another process retraining
        fcntl.flock(held, fcntl.LOCK_EX)
        outcome = retrain("iris", plan, "check-1")
    assert outcome["status"] == "skipped" and "already running" in outcome["reason"]
    # Free again: it starts (and fails cleanly, the notebook does not exist).
    outcome = retrain("iris", plan, "check-2")
    assert outcome["status"] == "failed" and "a.ipynb" in outcome["reason"]


def test_cli_prints_each_fired_alert_once(model, iris, iris_model, tmp_path):
    """The CLI shows the alerts itself; logging them too printed each one twice."""
    import subprocess
    import sys

    from mlops_jupyter import config
    from tests.magics.helpers import kernel_env

    shifted(iris, iris_model).to_csv(tmp_path / "window.csv", index=False)
    (tmp_path / "monitor.yaml").write_text(
        "monitor:\n  model: iris@champion\n  current: window.csv\n"
        "  rules:\n    - {name: too-much, drift_share_above: 0.3}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "drift", "check",
         str(tmp_path / "monitor.yaml"), "--no-report"], cwd=tmp_path,
        env=kernel_env(config.home_dir(), tracking_uri=config.tracking_uri()),
        capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert output.count("too-much") == 1, output
    assert "ALERT too-much: 60% of columns drifted" in done.stdout
