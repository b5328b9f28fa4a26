"""Per-cell cost of tracking, measured in one real kernel against synchronous MLflow.

The same small cell is executed many times in one IPython kernel:

* untracked (baseline),
* with ``%%mlops track`` (ours: capture on the cell's thread, writing in the background),
* with the equivalent synchronous ``mlflow.start_run`` + ``log_params``/``log_metrics``
  (the peer: what a notebook does with MLflow's fluent API).

Wall time is measured from the client (execute request to idle), like a user sees
it. Also measures ``%load_ext mlops_jupyter`` in a fresh kernel. Usage::

    python benchmarks/bench_tracking.py [--cells 60] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from jupyter_client.manager import start_new_kernel

CELL_BODY = """\
lr = 0.05
depth = 6
kernel = "rbf"
total = sum(i * i for i in range(5000))
"""
SYNC_MLFLOW = """\
with mlflow.start_run(run_name="cell"):
{body}    mlflow.log_params({{"lr": lr, "depth": depth, "kernel": kernel}})
    mlflow.log_metrics({{"total": total}})
"""


def _execute(client, code: str) -> float:
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda msg: None)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {reply['content']}")
    return elapsed


def _series(client, code: str, cells: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        _execute(client, code)
    return [_execute(client, code) for _ in range(cells)]


def _load_ext_time(env: dict[str, str]) -> float:
    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        code = ("import time as _t; _s = _t.perf_counter(); "
                "get_ipython().run_line_magic('load_ext', 'mlops_jupyter'); "
                "print(_t.perf_counter() - _s)")
        out = []
        client.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(m))
        text = "".join(m["content"].get("text", "") for m in out if m["msg_type"] == "stream")
        return float(text.strip())
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=60, help="timed cells per mode")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="mlops-bench-")
    env = dict(os.environ, MLOPS_JUPYTER_HOME=home)
    env.pop("MLFLOW_TRACKING_URI", None)
    load_ext_s = _load_ext_time(env)

    manager, client = start_new_kernel(kernel_name="python3", env=env)
    try:
        _execute(client, "%load_ext mlops_jupyter")
        _execute(client, "import mlflow\nfrom mlops_jupyter import config\n"
                         "mlflow.set_tracking_uri(config.tracking_uri())\n"
                         "mlflow.set_experiment('bench-sync')")
        untracked = _series(client, CELL_BODY, args.cells)
        ours = _series(client, "%%mlops track --experiment bench-ours\n" + CELL_BODY, args.cells)
        _execute(client, "%mlops flush --timeout 120")
        indented = "".join("    " + line + "\n" for line in CELL_BODY.splitlines())
        peer = _series(client, SYNC_MLFLOW.format(body=indented), args.cells)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    base = statistics.median(untracked)
    figures = {
        "cells_per_mode": args.cells,
        "untracked_median_ms": base * 1000,
        "ours_median_ms": statistics.median(ours) * 1000,
        "sync_mlflow_median_ms": statistics.median(peer) * 1000,
        "ours_overhead_ms": (statistics.median(ours) - base) * 1000,
        "sync_mlflow_overhead_ms": (statistics.median(peer) - base) * 1000,
        "ours_p95_overhead_ms": (sorted(ours)[int(0.95 * len(ours)) - 1] - base) * 1000,
        "load_ext_s": load_ext_s,
    }
    figures["overhead_ratio_sync_over_ours"] = (
        figures["sync_mlflow_overhead_ms"] / max(figures["ours_overhead_ms"], 1e-3))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"cells per mode:            {args.cells}")
    print(f"untracked cell (median):   {figures['untracked_median_ms']:7.2f} ms")
    print(f"%%mlops track   (median):  {figures['ours_median_ms']:7.2f} ms  "
          f"overhead {figures['ours_overhead_ms']:+.2f} ms (p95 {figures['ours_p95_overhead_ms']:+.2f})"
          f"  target <= 5 ms")
    print(f"sync mlflow run (median):  {figures['sync_mlflow_median_ms']:7.2f} ms  "
          f"overhead {figures['sync_mlflow_overhead_ms']:+.2f} ms")
    print(f"overhead ratio sync/ours:  {figures['overhead_ratio_sync_over_ours']:.1f}x")
    print(f"%load_ext mlops_jupyter:   {load_ext_s * 1000:7.1f} ms  target <= 300 ms")


if __name__ == "__main__":
    main()
