"""Prometheus metrics of an endpoint, aggregated over its worker processes.

``mlops serve`` points ``$PROMETHEUS_MULTIPROC_DIR`` at a temporary folder before
any worker imports prometheus-client, so every worker writes its samples there and
``GET /metrics`` (:func:`exposition`) merges them. Names:

- ``mlops_serving_requests_total{model,version,variant,status}``
- ``mlops_serving_request_latency_seconds{model,version,variant}`` (histogram)
- ``mlops_serving_prediction{model,version,variant}`` (histogram of numeric predictions)
- ``mlops_serving_model_info{model,alias,version,variant}`` (1 for the served version)
- ``mlops_serving_swaps_total{model,alias,outcome}``
- ``mlops_serving_batch_rows`` (histogram of rows per predict call)
- ``mlops_serving_log_written_total`` / ``mlops_serving_log_dropped_total``
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS_S = (.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10)
PREDICTION_BUCKETS = (-10, -1, -.5, 0, .1, .25, .5, .75, .9, 1, 2, 5, 10, 100, 1000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096)

REQUESTS = Counter("mlops_serving_requests", "Requests answered, per variant and status",
                   ["model", "version", "variant", "status"])
LATENCY = Histogram("mlops_serving_request_latency_seconds", "Request latency (seconds)",
                    ["model", "version", "variant"], buckets=LATENCY_BUCKETS_S)
PREDICTIONS = Histogram("mlops_serving_prediction", "Numeric predictions (one per row)",
                        ["model", "version", "variant"], buckets=PREDICTION_BUCKETS)
MODEL_INFO = Gauge("mlops_serving_model_info", "1 for the version a variant serves",
                   ["model", "alias", "version", "variant"], multiprocess_mode="livemax")
SWAPS = Counter("mlops_serving_swaps", "Alias moves seen: switched or refused",
                ["model", "alias", "outcome"])
BATCH_ROWS = Histogram("mlops_serving_batch_rows", "Rows per predict call",
                       buckets=BATCH_BUCKETS)
LOG_WRITTEN = Counter("mlops_serving_log_written", "Inference log records and labels written")
LOG_DROPPED = Counter("mlops_serving_log_dropped", "Inference log records dropped "
                      "(queue full)")


def observe_request(model: str, version: str | None, variant: str, status: int,
                    seconds: float, predictions: Any = None) -> None:
    """Count one answered request (and its numeric predictions)."""
    version = version or ""
    REQUESTS.labels(model, version, variant, str(status)).inc()
    LATENCY.labels(model, version, variant).observe(seconds)
    if predictions:
        histogram = PREDICTIONS.labels(model, version, variant)
        for value in predictions:
            if type(value) in (int, float):
                histogram.observe(value)


def set_model(model: str, alias: str, variant: str, version: str,
              previous: str | None = None) -> None:
    """Mark ``version`` as the one ``variant`` serves (and ``previous`` as not)."""
    if previous is not None and previous != version:
        MODEL_INFO.labels(model, alias, previous, variant).set(0)
    MODEL_INFO.labels(model, alias, version, variant).set(1)


def exposition() -> tuple[bytes, str]:
    """The exposition text of every worker's metrics, and its content type."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Drop a stopped worker's live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
