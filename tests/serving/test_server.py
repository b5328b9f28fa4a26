"""``mlops serve`` over real HTTP: bad input, the token, headers, routes, metrics,
feedback, the state files and a graceful stop (one endpoint for the module)."""

from __future__ import annotations

import json
import math
import signal
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mlops_jupyter.inference import logbook

from .helpers import TOKEN, payload_split, run_serve


@pytest.fixture(scope="module")
def endpoint(cancer_model, endpoints):
    return endpoints("cancer@champion", "--body-limit-mb", "0.05", "--flush-interval", "0.2")


@pytest.fixture(scope="module")
def rows(cancer_frame):
    return cancer_frame[0].head(3)


def _error(answer, status: int) -> str:
    assert answer.status_code == status, answer.text[:300]
    body = answer.json()
    assert set(body) == {"error_code", "message"}
    assert "\n" not in body["message"] and "Traceback" not in body["message"]
    assert answer.headers["x-request-id"] and answer.headers["x-model-version"] == "1"
    return body["message"]


def test_predicts_with_headers(endpoint, rows):
    answer = endpoint.invoke(payload_split(rows), headers={"X-Request-Id": "client-id.1"})
    assert answer.status_code == 200
    assert answer.json() == {"predictions": [0, 0, 0]}
    assert answer.headers["x-request-id"] == "client-id.1"
    assert answer.headers["x-model-version"] == "1"
    bad = endpoint.invoke(payload_split(rows), headers={"X-Request-Id": "no spaces/" * 3})
    assert len(bad.headers["x-request-id"]) == 32 and "/" not in bad.headers["x-request-id"]


def test_token_required_except_health(endpoint, rows):
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
                    {"Authorization": TOKEN}):
        for method, path in (("POST", "/invocations"), ("GET", "/version"),
                             ("GET", "/metrics"), ("POST", "/feedback")):
            answer = endpoint.request(method, path, auth=False, headers=headers,
                                      json=payload_split(rows))
            assert "token" in _error(answer, 401)
            assert TOKEN not in answer.text
    for path in ("/health", "/ping"):
        answer = endpoint.request("GET", path, auth=False)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}
        assert answer.headers["x-request-id"] and answer.headers["x-model-version"] == "1"


def test_version(endpoint):
    assert endpoint.request("GET", "/version").json() == {
        "model": "cancer", "alias": "champion", "version": "1",
        "variants": {"champion": {"alias": "champion", "version": "1"}}}


def test_bad_inputs_name_the_problem(endpoint, rows):
    columns = list(rows.columns)
    missing = payload_split(rows.drop(columns=["mean radius"]))
    assert _error(endpoint.invoke(missing), 400) == "missing column 'mean radius'"
    typed = payload_split(rows)
    typed["dataframe_split"]["data"][1][0] = "abc"
    assert _error(endpoint.invoke(typed), 400) == \
        "column 'mean radius': expected double, got 'abc'"
    long_value = payload_split(rows)
    long_value["dataframe_split"]["data"][0][0] = "x" * 5000
    message = _error(endpoint.invoke(long_value), 400)
    assert "xxxx" in message and len(message) < 120
    assert "JSON" in _error(endpoint.request("POST", "/invocations", content=b"{nope"), 400)
    assert "one of the keys" in _error(endpoint.invoke({"rows": []}), 400)
    assert "empty" in _error(endpoint.invoke({"dataframe_split": {"columns": columns,
                                                                  "data": []}}), 400)
    assert "empty" in _error(endpoint.invoke({"dataframe_records": []}), 400)
    short_row = {"dataframe_split": {"columns": columns, "data": [[1.0, 2.0]]}}
    assert "30 values" in _error(endpoint.invoke(short_row), 400)
    assert "content type" in _error(endpoint.request(
        "POST", "/invocations", content=b"a", headers={"Content-Type": "image/png"}), 400)


def test_body_limit(endpoint, rows):
    big = b'{"inputs": [' + b"1.0," * 20000 + b"1.0]}"
    assert "limit" in _error(endpoint.request("POST", "/invocations", content=big), 413)

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(100):
            yield b" " * 1024

    assert "limit" in _error(endpoint.request("POST", "/invocations", content=chunks()), 413)


def test_model_that_raises_is_one_line_500(endpoint, rows):
    payload = payload_split(rows)
    payload["dataframe_split"]["data"][0][3] = math.nan  # LogisticRegression refuses NaN
    answer = endpoint.request("POST", "/invocations", content=json.dumps(payload),
                              headers={"X-Request-Id": "fails-on-nan"})
    assert _error(answer, 500) == "the model failed to predict: ValueError"
    assert "POST /invocations 500 request_id=fails-on-nan" in endpoint.output
    assert "Traceback" not in endpoint.output


def test_unknown_route_and_method(endpoint):
    _error(endpoint.request("GET", "/nope"), 404)
    _error(endpoint.request("GET", "/invocations"), 405)


def test_feedback(endpoint):
    accepted = endpoint.request("POST", "/feedback", json=[
        {"request_id": "client-id.1", "label": 1},
        {"request_id": "never-seen", "labels": [0, 1]}])
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 3
    for body in ({"label": 1}, {"request_id": "a b", "label": 1}, {"request_id": "x"},
                 {"request_id": "x", "label": {"a": 1}}, [1], {"request_id": "x", "labels": []}):
        _error(endpoint.request("POST", "/feedback", json=body), 400)
    _error(endpoint.request("POST", "/feedback", content=b"not json"), 400)


def test_metrics_parse(endpoint, rows):
    for _ in range(3):
        assert endpoint.invoke(payload_split(rows)).status_code == 200
    text = endpoint.request("GET", "/metrics").text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    requests = {(s.labels["variant"], s.labels["status"], s.labels["version"]): s.value
                for s in families["mlops_serving_requests"].samples
                if s.name.endswith("_total")}
    assert requests[("champion", "200", "1")] >= 4
    assert requests[("champion", "400", "1")] >= 1
    assert requests[("champion", "500", "1")] >= 1
    info = [s for s in families["mlops_serving_model_info"].samples if s.value == 1]
    assert [(s.labels["alias"], s.labels["version"], s.labels["variant"]) for s in info] == \
        [("champion", "1", "champion")]
    assert any(s.name.endswith("_count") and s.value >= 4
               for s in families["mlops_serving_request_latency_seconds"].samples)
    assert any(s.name.endswith("_count") and s.value >= 12
               for s in families["mlops_serving_prediction"].samples)
    assert "mlops_serving_batch_rows" in families


def test_state_files(endpoint):
    from mlops_jupyter.serving import endpoints

    listed = endpoints.list_endpoints()
    assert [item["url"] for item in listed] == [endpoint.url]
    item = listed[0]
    assert item["model"] == "cancer" and item["workers"] == 1 and item["running"]
    assert item["versions"]["champion"]["version"] == "1"
    assert TOKEN not in json.dumps(item)


def test_unknown_model_or_alias_exits_2(serving_home, cancer_model):
    for reference in ("nothing-here", "cancer@nope"):
        done = run_serve(reference, "--port", "1", env={"MLOPS_SERVE_TOKEN": TOKEN})
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("mlops: error: ")
    done = run_serve("cancer", "--challenger", "c", "--shadow", "s")
    assert done.returncode == 2 and "not allowed with" in done.stderr
    done = run_serve("cancer", env={"MLOPS_SERVE_TOKEN": "short"})
    assert done.returncode == 2 and "token" in done.stderr
    assert "short" not in done.stderr


def test_generated_token_printed_once(cancer_model, endpoints, rows):
    endpoint = endpoints("cancer", token=None)
    assert endpoint.output.count(endpoint.token) == 1
    assert endpoint.invoke(payload_split(rows)).status_code == 200
    endpoint.stop()
    assert endpoint.output.count(endpoint.token) == 1


def test_kill_9_of_a_real_endpoint_loses_at_most_the_last_flush(cancer_model, cancer_frame,
                                                                 endpoints):
    """``mlops serve`` with ``--flush-interval 0.5`` killed with SIGKILL under traffic."""
    flush_interval, slack = 0.5, 1.0
    endpoint = endpoints("cancer", "--flush-interval", str(flush_interval))
    features = cancer_frame[0]
    answered = 0
    started = time.monotonic()
    with endpoint.client() as client:
        while answered < 300:
            response = client.post("/invocations", json=payload_split(features.iloc[[answered]]),
                                   headers={"X-Request-Id": f"k{answered}"})
            assert response.status_code == 200, response.text
            answered += 1
            time.sleep(0.002)
    rate = answered / (time.monotonic() - started)
    endpoint.kill()  # SIGKILL: no flush, no close
    rows = logbook.read_window("cancer")
    rows = rows[rows["request_id"].str.startswith("k")]
    assert rows["request_id"].is_unique  # single-row requests: one row each
    assert set(rows["status"]) <= {200}
    lost = answered - len(rows)
    assert 0 <= lost <= rate * (flush_interval + slack) + 1, (answered, len(rows), rate)
    logged = rows.set_index("request_id")
    for index in range(0, len(rows), 37):  # what was written is the request itself
        assert logged.loc[f"k{index}", "mean radius"] == features.iloc[index]["mean radius"]


def test_sigterm_stops_cleanly_with_the_log_flushed(endpoint, rows):
    from mlops_jupyter.serving import endpoints

    answer = endpoint.invoke(payload_split(rows), headers={"X-Request-Id": "last-request"})
    assert answer.status_code == 200
    assert endpoint.stop(signal.SIGTERM) == 0
    assert "Traceback" not in endpoint.output and TOKEN not in endpoint.output
    assert [item for item in endpoints.list_endpoints(include_stopped=True)
            if item["port"] == endpoint.port] == []  # (a SIGKILLed one may be left)
    frame = logbook.read_window("cancer")
    last = frame[frame["request_id"] == "last-request"]
    assert len(last) == 3 and set(last["status"]) == {200}
    assert list(last["prediction"]) == [0, 0, 0]
    failed = frame[frame["request_id"] == "fails-on-nan"]
    assert set(failed["status"]) == {500}
    assert (frame["status"] == 400).any()
    labels = frame.set_index(["request_id", "row"])["label"]
    assert labels[("client-id.1", 0)] == 1
