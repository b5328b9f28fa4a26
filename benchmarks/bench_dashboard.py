"""Drift dashboard first render vs. generating Evidently's report, in one run.

Sets up a fresh mlops-jupyter home with a registered model whose reference profile
was built from ``--rows`` training rows, runs ``--history`` real drift checks
(:func:`mlops_jupyter.monitoring.checks.check`) on windows of ``--rows`` rows × 20
columns (each stores its verdicts, result.json and a bounded-sample Evidently
report), publishes the drift dashboard and serves it with ``mlops dashboard
serve``'s Voila. Then it times

- ours: the first complete render of the drift dashboard — an authenticated HTTP GET
  of the page until Voila has executed it (Voila renders server-side, so the body is
  complete when it ends), the first one and the median of ``--repeat`` more; and,
  unless ``--no-browser``, Chromium from navigation until the chart and the feature
  table are drawn (widgets fetched from the kernel included);
- the peer: ``Report([DataDriftPreset()]).run(current_data=window,
  reference_data=reference)`` on the same latest window, plus its HTML.

and prints both, the ratio and the target (first render ≤ 2 s). Usage::

    python benchmarks/bench_dashboard.py [--rows 1000000] [--history 5] [--repeat 3]
                                         [--no-browser] [--skip-evidently] [--json] [--keep]

Evidently on 1M × 20 takes minutes here; ``--rows 100000`` scales everything down.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_S = 2.0
MODEL = "bench-churn"
CHROMIUM = "/usr/bin/chromium"


def make_window(rows: int, shift: float, seed: int) -> pd.DataFrame:
    """20 columns (14 numerical, 6 categorical); ``shift`` moves 8 of them."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for i in range(14):
        moved = shift if i % 2 == 0 and i < 10 else 0.0
        if i % 3 == 0:
            data[f"n{i:02d}"] = rng.normal(0.4 * moved, 1.0, rows)
        elif i % 3 == 1:
            data[f"n{i:02d}"] = rng.exponential(1.0 + 0.5 * moved, rows)
        else:
            data[f"n{i:02d}"] = rng.uniform(0.0, 1.0 + 0.4 * moved, rows)
    for i in range(6):
        choices = list("abcdef")[: 3 + i % 3]
        weights = np.ones(len(choices))
        if i < 3 and shift:
            weights[0] += 2 * shift
        data[f"c{i}"] = rng.choice(choices, rows, p=weights / weights.sum())
    return pd.DataFrame(data)


def seed(rows: int, history: int) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """Register the model with its reference profile and run ``history`` checks;
    returns the reference, the latest window and the seconds the checks took."""
    from sklearn.dummy import DummyClassifier

    from mlops_jupyter.monitoring.checks import check
    from mlops_jupyter.monitoring.references import build_profile
    from mlops_jupyter.registry import register_model

    reference = make_window(rows, 0.0, seed=1)
    model = DummyClassifier().fit(reference[["n00"]].head(100), np.arange(100) % 2)
    register_model(model, MODEL, reference=build_profile(reference), alias="champion")
    started, window = time.perf_counter(), reference
    for index in range(history):
        window = make_window(rows, shift=index / max(history - 1, 1), seed=10 + index)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(MODEL, window, report=True, source="benchmark")
        print(f"  check {index + 1}/{history} stored", flush=True)
    return reference, window, time.perf_counter() - started


def http_render(server, path: str) -> tuple[float, str]:
    """Seconds for an authenticated GET of the whole page; releases its kernel."""
    request = urllib.request.Request(server.dashboard_url(path),
                                     headers={"Authorization": f"token {server.token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        body = response.read().decode()
    elapsed = time.perf_counter() - started
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', body)
    if kernel:
        urllib.request.urlopen(urllib.request.Request(
            f"{server.url}api/kernels/{kernel.group(1)}", method="DELETE",
            headers={"Authorization": f"token {server.token}"}), timeout=60).close()
    return elapsed, body


def browser_render(server, path: str, runs: int) -> list[float]:
    """Seconds from navigation until the drift chart and feature table are drawn."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{server.url}?token={server.token}")  # log in once (cookie)
        for _ in range(runs):
            started = time.perf_counter()
            page.goto(server.dashboard_url(path))
            page.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
            page.locator("table.mlops-features").first.wait_for(timeout=300_000)
            times.append(time.perf_counter() - started)
            page.goto("about:blank")  # the tab's beacon shuts the kernel down
        browser.close()
    return times


def run_evidently(reference: pd.DataFrame, window: pd.DataFrame) -> tuple[float, float]:
    """Seconds for the preset's run and for its HTML."""
    from evidently import Report
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        snapshot = Report([DataDriftPreset()]).run(current_data=window,
                                                   reference_data=reference)
        ran = time.perf_counter() - started
        snapshot.get_html_str(as_iframe=False)
        return ran, time.perf_counter() - started - ran


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows per window and of the reference (default 1M)")
    parser.add_argument("--history", type=int, default=5, help="stored checks (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="renders after the first")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timing")
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", action="store_true",
                        help="keep the benchmark's home folder (default: removed)")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    os.environ["MLOPS_JUPYTER_HOME"] = str(home)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    from mlops_jupyter.dashboards.publish import publish
    from mlops_jupyter.dashboards.serve import ServeOptions, VoilaServer

    print(f"seeding {args.history} checks of {args.rows:,} rows × 20 columns in {home}",
          flush=True)
    try:
        reference, window, seeding = seed(args.rows, args.history)
        path = publish(MODEL, "drift").name
        server = VoilaServer(ServeOptions(directory=home / "dashboards", port=0,
                                          max_kernels=4).validated(),
                             log_path=home / "voila.log")
        server.start()
        try:
            first, body = http_render(server, path)
            assert "drift detected" in body or "no drift" in body, "the dashboard did not render"
            again = [http_render(server, path)[0] for _ in range(args.repeat)]
            browser = [] if args.no_browser or not Path(CHROMIUM).exists() else \
                browser_render(server, path, 1 + args.repeat)
        finally:
            server.stop()

        peer_run = peer_html = None
        if not args.skip_evidently:
            print(f"running Evidently DataDriftPreset on {args.rows:,} × 20 ...", flush=True)
            peer_run, peer_html = run_evidently(reference, window)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    figures = {
        "rows": args.rows, "history_checks": args.history, "seeding_s": round(seeding, 1),
        "dashboard_first_http_s": round(first, 3),
        "dashboard_http_median_s": round(statistics.median(again), 3) if again else None,
        "dashboard_first_browser_s": round(browser[0], 3) if browser else None,
        "dashboard_browser_median_s": round(statistics.median(browser[1:]), 3)
        if len(browser) > 1 else None,
        "evidently_run_s": None if peer_run is None else round(peer_run, 2),
        "evidently_html_s": None if peer_html is None else round(peer_html, 2),
    }
    ours = figures["dashboard_first_http_s"]  # the page executed and delivered
    if peer_run is not None:
        peer = peer_run + peer_html
        figures["ratio_evidently_over_dashboard"] = round(peer / ours, 1)
        if browser:
            figures["ratio_evidently_over_browser"] = round(peer / browser[0], 1)
    figures["target_met"] = ours <= TARGET_S
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    rows = [(f"drift dashboard, {args.rows:,}-row windows, {args.history} stored checks", None),
            ("  first render (HTTP GET, page executed)", first)]
    if again:
        rows.append((f"  later renders (HTTP), median of {len(again)}", statistics.median(again)))
    if browser:
        rows.append(("  first render in Chromium (chart + table drawn)", browser[0]))
        if len(browser) > 1:
            rows.append((f"  later in Chromium, median of {len(browser) - 1}",
                         statistics.median(browser[1:])))
    if peer_run is not None:
        rows += [(f"Evidently DataDriftPreset, same window ({args.rows:,} × 20)", None),
                 ("  run", peer_run), ("  + its HTML report", peer_html)]
    for label, value in rows:
        print(label if value is None else f"{label:52} {value:8.2f} s")
    if peer_run is not None:
        print(f"{'ratio Evidently / dashboard first render (HTTP)':52} "
              f"{figures['ratio_evidently_over_dashboard']:8.1f} ×")
        if browser:
            print(f"{'ratio Evidently / dashboard first render (Chromium)':52} "
                  f"{figures['ratio_evidently_over_browser']:8.1f} ×")
    print(f"target: first render ≤ {TARGET_S:.0f} s — "
          f"{'met' if figures['target_met'] else 'MISSED'} ({ours:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
