"""``--workers 2``: both processes answer on one port, /metrics aggregates them
(Prometheus multiprocess mode), and a real Prometheus scrapes it with the token."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import free_port, payload_split

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


@pytest.fixture(scope="module")
def endpoint(cancer_model, endpoints):
    return endpoints("cancer", "--workers", "2", "--no-log")


def _requests_total(text: str) -> float:
    return sum(s.value for family in text_string_to_metric_families(text)
               if family.name == "mlops_serving_requests" for s in family.samples
               if s.name.endswith("_total"))


def test_two_workers_answer_and_metrics_aggregate(endpoint, cancer_frame):
    from mlops_jupyter.serving import endpoints

    payload = payload_split(cancer_frame[0].head(1))
    for _ in range(40):  # new connections: the kernel spreads them over both workers
        assert endpoint.invoke(payload).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and endpoints.list_endpoints()[0]["workers"] < 2:
        time.sleep(0.2)
    listed = endpoints.list_endpoints()[0]
    assert listed["workers"] == 2
    assert listed["stats"]["champion"]["requests"] >= 1
    folder = endpoints.config.serving_dir() / listed["id"]
    served = [json.loads(path.read_text())["variants"]["champion"]["requests"]
              for path in folder.glob("worker-*.json")]
    assert len(served) == 2
    for _ in range(4):  # whichever worker answers /metrics, it counts every worker
        assert _requests_total(endpoint.request("GET", "/metrics").text) == 40


@pytest.mark.skipif(not shutil.which("prometheus"), reason="no prometheus binary")
def test_real_prometheus_scrapes_with_the_token(endpoint, tmp_path):
    credentials = tmp_path / "token"
    credentials.write_text(endpoint.token)
    credentials.chmod(0o600)
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{"job_name": "mlops-serve", "scrape_interval": "1s",
                            "metrics_path": "/metrics",
                            "authorization": {"credentials_file": str(credentials)},
                            "static_configs": [{"targets": [f"127.0.0.1:{endpoint.port}"]}]}]}))
    port = free_port()
    with open(tmp_path / "prometheus.log", "wb") as log:
        process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=log)
    try:
        query = urllib.parse.quote('sum(mlops_serving_requests_total{status="200"})')
        value = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/query?query={query}",
                                   timeout=5).json()
                result = answer["data"]["result"]
                if result:
                    value = float(result[0]["value"][1])
                    break
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        assert value is not None and value >= 40, (tmp_path / "prometheus.log").read_text()[-2000:]
        targets = httpx.get(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5).json()
        assert targets["data"]["activeTargets"][0]["health"] == "up"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_sigterm_stops_every_worker(endpoint):
    from mlops_jupyter.serving import endpoints

    assert endpoint.stop() == 0
    assert endpoints.list_endpoints(include_stopped=True) == []
