"""The endpoint follows its alias: a hot swap under concurrent load loses no request;
a version that fails to load or to predict on its input example is refused (the old
one keeps serving, the refusal is in the worker state and /metrics); rollback is the
same path."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import move_alias, payload_split, register


def _files(name: str, version: str) -> Path:
    from mlops_jupyter.registry import common

    source = common.get_version(name, version).source
    assert source.startswith("file://")
    return Path(source[len("file://"):])


@pytest.fixture(scope="module")
def versions(serving_home, cancer_frame, cancer_lr):
    """v1 champion; v2 a RandomForest; v3 whose model file is garbage; v4 whose stored
    input example lacks a column (predicting on it fails its check)."""
    from sklearn.ensemble import RandomForestClassifier

    features, target = cancer_frame
    register(cancer_lr, "swapped", features)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target)
    register(forest, "swapped", features, alias=None)
    register(cancer_lr, "swapped", features, alias=None)
    register(cancer_lr, "swapped", features, alias=None)
    (_files("swapped", "3") / "model.skops").write_bytes(b"not a model")
    example_path = _files("swapped", "4") / "input_example.json"
    example = json.loads(example_path.read_text())
    example["columns"] = example["columns"][1:]
    example["data"] = [row[1:] for row in example["data"]]
    example_path.write_text(json.dumps(example))
    return "swapped"


@pytest.fixture(scope="module")
def endpoint(versions, endpoints):
    return endpoints("swapped@champion", "--poll-interval", "0.2", "--no-log")


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _served(endpoint) -> str:
    return endpoint.request("GET", "/version").json()["version"]


def _swaps(endpoint) -> list[dict]:
    from mlops_jupyter.serving import endpoints

    return endpoints.list_endpoints()[0]["swaps"]


def test_hot_swap_under_load_loses_nothing(endpoint, cancer_frame):
    payload = payload_split(cancer_frame[0].head(2))
    seen: list[list[tuple[int, str]]] = [[] for _ in range(8)]
    stop = threading.Event()

    def load(index: int):
        with endpoint.client() as client:
            while not stop.is_set():
                answer = client.post("/invocations", json=payload)
                seen[index].append((answer.status_code, answer.headers.get("x-model-version")))

    threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        move_alias("swapped", "champion", 2)
        _wait(lambda: _served(endpoint) == "2")
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    answers = [answer for thread in seen for answer in thread]
    assert answers and {status for status, _ in answers} == {200}
    assert {version for _, version in answers} == {"1", "2"}
    for thread in seen:  # per client, once on version 2, never back to 1
        versions = [version for _, version in thread]
        assert "1" not in versions[versions.index("2"):] if "2" in versions else True
    switched = [s for s in _swaps(endpoint) if s["to_version"] == "2"]
    assert switched[0]["outcome"] == "switched" and switched[0]["from_version"] == "1"


@pytest.mark.parametrize("broken,reason", [("3", "load"), ("4", "example")])
def test_broken_version_is_refused(endpoint, cancer_frame, broken, reason):
    from mlops_jupyter.serving import endpoints

    payload = payload_split(cancer_frame[0].head(2))
    before = _served(endpoint)
    move_alias("swapped", "champion", broken)
    refused = _wait(lambda: [s for s in _swaps(endpoint)
                             if s["to_version"] == broken and s["outcome"] == "refused"])
    assert refused[0]["from_version"] == before and refused[0]["error"]
    time.sleep(0.6)  # several polls later: not retried, still the old version
    assert len([s for s in _swaps(endpoint) if s["to_version"] == broken]) == 1
    answer = endpoint.invoke(payload)
    assert answer.status_code == 200 and answer.headers["x-model-version"] == before
    assert broken in endpoints.list_endpoints()[0]["last_error"]
    text = endpoint.request("GET", "/metrics").text
    samples = [s for family in text_string_to_metric_families(text)
               if family.name == "mlops_serving_swaps" for s in family.samples
               if s.name.endswith("_total")]
    assert any(s.labels["outcome"] == "refused" and s.value >= 1 for s in samples)


def test_rollback_is_the_same_path(endpoint):
    move_alias("swapped", "champion", 1)
    _wait(lambda: _served(endpoint) == "1")
    assert _swaps(endpoint)[-1]["outcome"] == "switched"
    assert _swaps(endpoint)[-1]["to_version"] == "1"


def test_a_version_that_cannot_load_at_start_is_one_line(versions):
    from .helpers import TOKEN, free_port, run_serve

    move_alias("swapped", "broken", 3)
    done = run_serve("swapped@broken", "--port", str(free_port()), "--no-log",
                     env={"MLOPS_SERVE_TOKEN": TOKEN})
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "mlops serve: cannot start: " in output and "Traceback" not in output
    assert TOKEN not in output
