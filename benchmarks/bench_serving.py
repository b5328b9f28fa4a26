"""``mlops serve`` vs. ``mlflow models serve``, same model, same load, one run.

A fresh embedded (SQLite) store gets a LogisticRegression fitted on scikit-learn's
breast-cancer frame, registered three times (v1 champion, v2 and v3 for the swaps).
Both servers run on this machine with one worker each and are loaded by the same
generator: ``wrk -t2 -c32 -d15s --latency`` with a Lua script POSTing one row as
``dataframe_split`` (ours also sends the bearer token) and printing, from ``done()``,
one JSON line with the percentiles and the count of each HTTP status. Measured:

1. MLflow: ``mlflow models serve -m models:/M@champion --env-manager local
   --workers 1``: requests/s, p50, p99, errors (non-2xx + socket errors), seconds
   from start to ready (``/ping`` answers 200).
2. Ours: ``mlops serve M@champion --workers 1`` (inference log on, the default): the
   same figures (ready: ``/health`` answers 200), and the ratios to MLflow.
3. Ours with ``--no-log``: the throughput cost of the inference log, in %.
4. 10 alias swaps under the same load (``champion`` moved between v2 and v3 by the
   registry, as ``mlops models promote`` does after its gate): failed requests during
   them (expected 0) and the time from the move to the new version answering
   (``X-Model-Version``), max and median.

Every process started here is stopped by its pid (its own process group). Usage::

    python benchmarks/bench_serving.py [--quick] [--duration 15] [--swaps 10] [--json]
                                       [--skip-mlflow] [--keep]

``--quick``: a smoke run (``-d3s``, 3 swaps).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "bench-cancer"
WRK = "/usr/bin/wrk"
THREADS, CONNECTIONS = 2, 32
READY_TIMEOUT_S = 120.0
SWAP_TIMEOUT_S = 30.0
TARGETS = {"throughput_x": 10.0, "p99_fraction": 0.2, "log_cost_pct": 10.0,
           "swap_s": 5.0, "ready_s": 3.0}

LUA = r"""
wrk.method = "POST"
wrk.body = __BODY__
wrk.headers["Content-Type"] = "application/json"
__AUTH__
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"status_errors":%d,' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(parts, ",")))
end
"""


# ------------------------------------------------------------------- setup
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def register_models() -> dict:
    """v1 champion, v2, v3 of :data:`MODEL` (LogisticRegression, breast-cancer frame);
    one row of the frame as the request body."""
    import warnings

    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from mlops_jupyter.registry import register_model

    warnings.simplefilter("ignore")
    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    for number, c in enumerate((1.0, 0.5, 2.0), 1):
        model = LogisticRegression(C=c, max_iter=5000).fit(features, target)
        register_model(model, MODEL, input_example=features.head(5),
                       alias="champion" if number == 1 else None, reason="benchmark")
    row = features.head(1)
    body = {"dataframe_split": {"columns": list(row.columns),
                                "data": row.to_numpy().tolist()}}
    return {"body": json.dumps(body, separators=(",", ":")), "rows": len(features)}


def write_script(folder: Path, name: str, body: str, token: str | None) -> Path:
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"' if token else ""
    path = folder / f"{name}.lua"
    path.write_text(LUA.replace("__BODY__", json.dumps(body)).replace("__AUTH__", auth))
    return path


# --------------------------------------------------------------- processes
def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start ``command`` in its own process group, output to ``log``."""
    with open(log, "wb") as stream:
        return subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group led by ``process.pid``; SIGKILL what is left."""
    from mlops_jupyter.processes import stop_process_group

    stop_process_group(process.pid, grace, process=process)


def wait_ready(process: subprocess.Popen, port: int, path: str, log: Path) -> float:
    """Seconds until ``GET path`` answers 200 (from now: call right after start)."""
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise SystemExit(f"the server exited with {process.returncode}:\n{tail}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.02)
    raise SystemExit(f"not ready after {READY_TIMEOUT_S:.0f} s:\n"
                     f"{log.read_text(errors='replace')[-2000:]}")


def invoke(port: int, body: str, token: str | None) -> tuple[int, str | None]:
    """One request: its status and ``X-Model-Version``."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", "/invocations", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("X-Model-Version")
    finally:
        connection.close()


# -------------------------------------------------------------------- load
def run_wrk(port: int, script: Path, duration: str) -> subprocess.Popen:
    return subprocess.Popen(
        [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{duration}", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}/invocations"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def parse_wrk(output: str) -> dict:
    """The JSON line ``done()`` printed, as figures (ms, requests/s, errors)."""
    found = re.search(r"^WRK-JSON (\{.*\})$", output, re.MULTILINE)
    if not found:
        raise SystemExit(f"wrk printed no summary:\n{output[-2000:]}")
    raw = json.loads(found.group(1))
    seconds = raw["duration_us"] / 1e6
    non2xx = sum(n for status, n in raw["statuses"].items() if not status.startswith("2"))
    sockets = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {"requests": raw["requests"], "seconds": round(seconds, 2),
            "rps": raw["requests"] / seconds if seconds else 0.0,
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "max_ms": raw["max_us"] / 1000,
            "non2xx": non2xx, "socket_errors": sockets, "errors": non2xx + sockets,
            "statuses": raw["statuses"]}


WARMUP = "2s"


def load(port: int, script: Path, duration: str, warmup: str | None = WARMUP) -> dict:
    """wrk's figures for ``duration`` of load, after ``warmup`` of load not counted
    (the first requests of a fresh process: imports, caches), the same for both."""
    if warmup:
        _wrk_output(port, script, warmup)
    return parse_wrk(_wrk_output(port, script, duration))


def _wrk_output(port: int, script: Path, duration: str) -> str:
    process = run_wrk(port, script, duration)
    try:
        output, _ = process.communicate(timeout=_seconds(duration) + 60)
    finally:
        if process.poll() is None:
            stop(process, 2)
    return output


def _seconds(duration: str) -> float:
    return float(duration[:-1]) * {"s": 1, "m": 60}[duration[-1]]


# ----------------------------------------------------------------- servers
def serve_mlflow(folder: Path, env: dict[str, str], script: Path, duration: str) -> dict:
    port = free_port()
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    log = folder / "mlflow-serve.log"
    process = start([mlflow, "models", "serve", "-m", f"models:/{MODEL}@champion",
                     "--env-manager", "local", "--workers", "1", "--host", "127.0.0.1",
                     "--port", str(port)], log, env)
    try:
        ready = wait_ready(process, port, "/ping", log)
        figures = load(port, script, duration)
    finally:
        stop(process)
    return {**figures, "ready_s": ready}


def serve_ours(folder: Path, env: dict[str, str], token: str, *extra: str,
               name: str = "ours") -> tuple[subprocess.Popen, int, float, Path]:
    port = free_port()
    log = folder / f"{name}.log"
    process = start([sys.executable, "-m", "mlops_jupyter.cli", "serve", f"{MODEL}@champion",
                     "--workers", "1", "--host", "127.0.0.1", "--port", str(port), *extra],
                    log, {**env, "MLOPS_SERVE_TOKEN": token})
    try:
        ready = wait_ready(process, port, "/health", log)
    except BaseException:
        stop(process)
        raise
    return process, port, ready, log


def measure_ours(folder, env, token, script, duration, *extra, name="ours") -> dict:
    process, port, ready, _ = serve_ours(folder, env, token, *extra, name=name)
    try:
        figures = load(port, script, duration)
    finally:
        stop(process)
    return {**figures, "ready_s": ready}


def swaps_under_load(folder, env, token, script, body: str, count: int) -> dict:
    """``count`` alias moves of ``champion`` (v2, v3, v2, …) while wrk loads the server:
    the requests that failed and the time from each move to the new version
    answering."""
    from mlops_jupyter.registry import aliases

    process, port, _, _ = serve_ours(folder, env, token, name="ours-swaps")
    try:
        wrk = run_wrk(port, script, f"{int(count * SWAP_TIMEOUT_S + 60)}s")
        times = []
        try:
            time.sleep(1.0)  # wrk connected and loading
            for index in range(count):
                version = "2" if index % 2 == 0 else "3"
                moved = time.perf_counter()
                aliases.set_alias(MODEL, "champion", version, reason="benchmark swap")
                while True:
                    status, answered = invoke(port, body, token)
                    if status == 200 and answered == version:
                        times.append(time.perf_counter() - moved)
                        break
                    if time.perf_counter() - moved > SWAP_TIMEOUT_S:
                        raise SystemExit(f"v{version} not answering {SWAP_TIMEOUT_S:.0f} s "
                                         "after the move")
                    time.sleep(0.01)
                time.sleep(0.5)  # load on the new version before the next move
        finally:
            if wrk.poll() is None:
                os.kill(wrk.pid, signal.SIGINT)  # wrk stops and prints its summary
            output, _ = wrk.communicate(timeout=30)
        figures = parse_wrk(output)
    finally:
        stop(process)
    return {"swaps": count, "requests": figures["requests"], "failed": figures["errors"],
            "statuses": figures["statuses"], "max_s": max(times),
            "median_s": statistics.median(times), "times_s": times}


# -------------------------------------------------------------------- report
def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "–"


def print_table(figures: dict) -> None:
    mlflow, ours, nolog = figures.get("mlflow"), figures["ours"], figures["ours_no_log"]
    rows = [("requests/s", "rps", "{:,.0f}"), ("p50 (ms)", "p50_ms", "{:.1f}"),
            ("p99 (ms)", "p99_ms", "{:.1f}"), ("errors (non-2xx + socket)", "errors", "{:d}"),
            ("start to ready (s)", "ready_s", "{:.2f}")]
    print(f"load: wrk -t{THREADS} -c{CONNECTIONS} -d{figures['duration']} --latency (after "
          f"{WARMUP} not counted), one "
          f"row per request (dataframe_split), LogisticRegression on breast-cancer, "
          f"1 worker each")
    print(f"{'':28}{'MLflow':>12}{'ours':>12}{'ours/MLflow':>14}{'ours --no-log':>16}")
    for label, key, form in rows:
        peer = mlflow[key] if mlflow else None
        print(f"{label:28}{form.format(peer) if peer is not None else '–':>12}"
              f"{form.format(ours[key]):>12}{ratio(ours[key], peer):>14}"
              f"{form.format(nolog[key]):>16}")
    cost = figures["log_cost_pct"]
    print(f"inference log throughput cost: {cost:.1f} % (target ≤ {TARGETS['log_cost_pct']:.0f} %)")
    swaps = figures["swaps"]
    print(f"{swaps['swaps']} alias swaps under load: {swaps['failed']} failed of "
          f"{swaps['requests']:,} requests; promote → new version answering: max "
          f"{swaps['max_s']:.2f} s, median {swaps['median_s']:.2f} s "
          f"(target ≤ {TARGETS['swap_s']:.0f} s, 0 failed)")
    if mlflow:
        print(f"targets: throughput ≥ {TARGETS['throughput_x']:.0f}x MLflow "
              f"({ratio(ours['rps'], mlflow['rps'])}), p99 ≤ 1/5 of MLflow's "
              f"({ratio(ours['p99_ms'], mlflow['p99_ms'])}), ready ≤ {TARGETS['ready_s']:.0f} s "
              f"({ours['ready_s']:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: -d3s, 3 swaps")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per server")
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if not Path(WRK).is_file():
        raise SystemExit(f"{WRK} is missing: apt-get install -y wrk")
    duration = "3s" if args.quick else f"{args.duration}s"
    swaps = min(args.swaps, 3) if args.quick else args.swaps

    folder = Path(tempfile.mkdtemp(prefix="mlops-bench-serving-"))
    os.environ["MLOPS_JUPYTER_HOME"] = str(folder / "home")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLOPS_SERVE_TOKEN", None)
    os.environ.pop("MLOPS_INFERENCE_LOG_URL", None)
    try:
        from mlops_jupyter import config

        model = register_models()
        env = {**os.environ, "MLFLOW_TRACKING_URI": config.tracking_uri(),
               "MLFLOW_LOGGING_LEVEL": "WARNING",
               # mlflow models serve execs `uvicorn` from PATH: the venv's
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        token = secrets.token_urlsafe(32)
        plain = write_script(folder, "mlflow", model["body"], None)
        authed = write_script(folder, "ours", model["body"], token)
        os.chdir(folder)  # nothing lands in the caller's folder (./mlruns)
        figures: dict = {"duration": duration, "model": "LogisticRegression",
                         "frame_rows": model["rows"]}
        if not args.skip_mlflow:
            figures["mlflow"] = serve_mlflow(folder, env, plain, duration)
        # --no-log first: a machine that slows down during the run then counts against
        # the log's cost, not for it
        figures["ours_no_log"] = measure_ours(folder, env, token, authed, duration, "--no-log",
                                              name="ours-no-log")
        figures["ours"] = measure_ours(folder, env, token, authed, duration)
        off, on = figures["ours_no_log"]["rps"], figures["ours"]["rps"]
        figures["log_cost_pct"] = (off - on) / off * 100 if off else 0.0
        figures["swaps"] = swaps_under_load(folder, env, token, authed, model["body"], swaps)
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            print_table(figures)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
