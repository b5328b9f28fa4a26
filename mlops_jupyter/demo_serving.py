"""The demo's production part: serve the champion, replay the drifted window as real
HTTP requests with the true labels sent back as feedback, check the live window (the
alert fires, the retrain runs, the gate promotes) and watch the endpoint switch.

Used by :mod:`.demo`; every line is printed as it happens.
"""

from __future__ import annotations

import json
import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

LIVE_MONITOR = "monitor-live.yaml"
#: Concurrent clients replaying the window.
CLIENTS = 8
SWITCH_TIMEOUT_S = 60.0
LOG_TIMEOUT_S = 30.0


class ServingDemo:
    """One endpoint for the demo's lifetime: :meth:`start`, :meth:`replay`,
    :meth:`check`, :meth:`switch`, then :meth:`stop` (always)."""

    def __init__(self, model: str, pipeline: Path) -> None:
        self.model = model
        self.pipeline = pipeline
        self.endpoint: dict[str, Any] | None = None
        self.served: str | None = None
        self.promoted: str | None = None
        self.requests = 0
        self.unchanged = "the check did not run"

    # --- HTTP ------------------------------------------------------------------------
    def _call(self, path: str, body: Any = None) -> tuple[int, Any, Any]:
        """``(status, headers (case-insensitive), JSON body or None)``."""
        assert self.endpoint is not None
        request = urllib.request.Request(
            self.endpoint["url"] + path, method="GET" if body is None else "POST",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.endpoint['token']}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, answer.headers, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.headers, None

    def _version(self) -> str | None:
        status, _, body = self._call("/version")
        return str(body.get("version")) if status == 200 and body else None

    # --- steps -----------------------------------------------------------------------
    def start(self) -> str | None:
        """Serve ``MODEL@champion`` on a free loopback port."""
        from .serving import deployments

        began = time.monotonic()
        self.endpoint = deployments.start(self.model, "champion")
        self.served = self._version()
        print(f"      {self.model}@champion v{self.served} answers at "
              f"{self.endpoint['url']}/invocations (ready in {time.monotonic() - began:.1f} s)")
        print(f"      bearer token (shown once): {self.endpoint['token']}")
        return None

    def replay(self) -> str | None:
        """Send every row of the drifted window as its own request, then its label."""
        folder = self.pipeline
        frame = _read_csv(write_drifted_window(folder))
        labels = _read_csv(folder / "data" / "test.csv")["target"].tolist()
        rows = [{"dataframe_split": {"columns": list(frame.columns),
                                     "data": [row.tolist()]}}
                for _, row in frame.iterrows()]

        def send(payload):
            began = time.perf_counter()
            status, headers, _ = self._call("/invocations", payload)
            return status, headers.get("X-Request-Id"), (time.perf_counter() - began) * 1000

        began = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(send, rows))
        took = time.monotonic() - began
        failed = sum(status != 200 for status, _, _ in answers)
        latencies = sorted(latency for _, _, latency in answers)
        self.requests = len(answers)
        print(f"      replayed {len(answers)} requests from {CLIENTS} clients in {took:.1f} s "
              f"({failed} failed): p50 {statistics.median(latencies):.1f} ms, "
              f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms round trip")
        feedback = [{"request_id": request_id, "label": label}
                    for (status, request_id, _), label in zip(answers, labels)
                    if status == 200 and request_id]
        status, _, _ = self._call("/feedback", feedback)
        if status != 200:
            return f"/feedback answered {status}"
        print(f"      {len(feedback)} true labels sent back to /feedback (joined by request id)")
        if failed:
            return f"{failed} of {len(answers)} requests failed"
        return self._wait_for_log()

    def _wait_for_log(self) -> str | None:
        from .inference.logbook import read_window

        deadline = time.monotonic() + LOG_TIMEOUT_S
        while time.monotonic() < deadline:
            window = read_window(self.model, last="1h")
            logged = window["request_id"].nunique() if len(window) else 0
            labelled = int(window["label"].notna().sum()) if len(window) else 0
            if logged >= self.requests and labelled >= self.requests:
                print(f"      inference log: {logged} requests, {labelled} with labels "
                      "(Parquet, partitioned by model/date/hour)")
                return None
            time.sleep(0.3)
        return "the inference log did not show the replayed requests in time"

    def check(self) -> str | None:
        """The live check of ``monitor-live.yaml``: drift, live rules, retrain, gate."""
        from .monitoring.checks import run_check
        from .monitoring.spec import load_monitor

        result = run_check(load_monitor(self.pipeline / LIVE_MONITOR), source="demo")
        live = result.get("live") or {}
        if live:
            accuracy = live.get("accuracy")
            print(f"      live window: {live.get('requests')} requests, error rate "
                  f"{live.get('error_rate') or 0:.1%}, p95 {live.get('p95_ms') or 0:.1f} ms"
                  + (f", accuracy {accuracy:.3f} on the labels" if accuracy is not None else ""))
        reason = print_check(result)
        retrain = result.get("retrain") or {}
        promotion = result.get("live_promotion") or {}
        version = retrain.get("version") if retrain.get("promoted") else \
            promotion.get("version") if promotion.get("promoted") else None
        if version is not None and str(version) != self.served:
            self.promoted = str(version)
        else:
            self.unchanged = retrain.get("reason") or "no new version took @champion"
        return reason

    def switch(self) -> str | None:
        """Wait for the endpoint to serve the new champion; say how long after the
        promotion it switched (the promotion's time from the alias history, the
        switch's from the endpoint's own record of its swaps)."""
        if self.promoted is None:  # e.g. a second demo within the retrain's cool-down
            print(f"      nothing to switch to ({self.unchanged}); the endpoint keeps "
                  f"serving v{self.served}")
            return None
        version = self.promoted
        deadline = time.monotonic() + SWITCH_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._version() == version:
                print(f"      the endpoint switched from v{self.served} to v{version} by itself"
                      f"{self._switch_delay(version)} (loaded, checked on its input "
                      "example, swapped atomically; the old version answered meanwhile)")
                self.served = version
                return None
            time.sleep(0.2)
        return f"the endpoint still serves v{self._version()} {SWITCH_TIMEOUT_S:g} s after " \
               f"v{version} was promoted"

    def _switch_delay(self, version: str) -> str:
        from datetime import datetime

        from .registry.aliases import alias_history
        from .serving import endpoints

        promoted = [entry for entry in alias_history(self.model, "champion")
                    if entry.get("to_version") == version and entry.get("action") == "set"]
        swaps = [swap for swap in endpoints.read_endpoint(self.endpoint["id"])["swaps"]
                 if swap.get("to_version") == version and swap.get("outcome") == "switched"]
        if not promoted or not swaps:
            return ""
        at = datetime.fromisoformat(promoted[-1]["at"].replace("Z", "+00:00")).timestamp()
        return f", {max(0.0, float(swaps[-1]['time']) - at):.1f} s after the promotion"

    def stop(self) -> None:
        """Stop the endpoint (its log is flushed on the way out)."""
        if self.endpoint is None:
            return
        from .serving import deployments

        deployments.stop(self.endpoint["id"])
        self.endpoint = None


def _read_csv(path: Path):
    import pandas as pd

    return pd.read_csv(path)


def write_drifted_window(folder: Path) -> Path:
    """``data/current.csv``: the test rows with two thirds of the features shifted,
    standing in for a production window that has drifted."""
    frame = _read_csv(folder / "data" / "test.csv").drop(columns="target")
    for column in frame.columns[: 2 * len(frame.columns) // 3]:
        frame[column] = frame[column] + 2 * frame[column].std()
    path = folder / "data" / "current.csv"
    frame.to_csv(path, index=False)
    return path


def print_check(result: dict) -> str | None:
    """Print a drift check's verdict, its drifted columns, alerts and retrain; the reason
    when its retrain failed."""
    from .monitoring.render import drift_lines

    lines = drift_lines(result)
    drifted = [line for line in lines if line.endswith("DRIFT")]
    head, tail = lines[0], [line for line in lines[1:] if not line.startswith("  ")]
    print(f"      {head}")
    for line in drifted[:5]:
        print(f"      {line}")
    if len(drifted) > 5:
        print(f"        ... and {len(drifted) - 5} more drifted columns")
    for line in tail:
        print(f"      {line}")
    retrain = result.get("retrain") or {}
    if retrain.get("status") == "failed":
        return f"the retrain failed: {retrain.get('reason') or 'see the lines above'}"
    return None
