"""Run comparison, run diff and the runs list vs. the MLflow server and UI, one run.

A fresh SQLite store (in a temporary mlops-jupyter home) gets:

* experiment ``bench-compare``: 1000 runs × 20 params × 10 metrics; 50 of them log
  ``loss`` over 100 steps;
* experiment ``bench-list``: 10 000 runs (2 params, 2 metrics);
* two session runs whose notebook snapshots have 200 cells each (3 edited, 2 added).

The runs are written straight into MLflow's SQL tables (the schema made by MLflow
itself first): a thousand ``log_batch`` calls would take minutes. A real ``jupyter lab``
with this checkout's server and lab extension, and an ``mlflow server`` on the same
store (the peer), are started. Measured:

1. ``POST /mlops-jupyter/runs/compare`` of the 1000 runs: median of N requests (server
   time, from Jupyter's request log, and the HTTP round trip). Target ≤ 500 ms.
2. First complete paint in Chromium: from ``app.commands.execute('mlops:compare-runs')``
   to the view's ``data-painted`` marker (tables and parallel chart drawn), vs. the
   MLflow UI's compare page ``#/compare-runs?runs=[...]&experiments=[...]`` for the same
   runs in the same Chromium until its parameter table shows a param name (stopped at
   60 s). Target ≤ 1.5 s.
3. ``GET /mlops-jupyter/runs/diff`` of the two 200-cell snapshots: median server time.
   Target ≤ 300 ms.
4. First page of the 10 000-run experiment: ``GET /mlops-jupyter/experiments/{id}/runs``
   vs. MLflow's REST ``POST /api/2.0/mlflow/runs/search`` (``max_results=50``),
   medians. Target ≤ 300 ms.

Every process started here is stopped by its pid (its own process group). Usage::

    python benchmarks/bench_runs.py [--repeat 7] [--json] [--skip-mlflow] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
READY_TIMEOUT_S = 120.0
PEER_PAINT_TIMEOUT_S = 60.0
TARGETS = {"compare_ms": 500.0, "paint_s": 1.5, "diff_ms": 300.0, "list_ms": 300.0}
COMPARE_RUNS, PARAMS, METRICS = 1000, 20, 10
HISTORY_RUNS, HISTORY_STEPS = 50, 100
LIST_RUNS = 10_000
NOTEBOOK_CELLS = 200


# --------------------------------------------------------------------- the store
def build_store(home: Path) -> dict:
    """Fill the store of ``MLFLOW_TRACKING_URI``; returns ids of what was written."""
    from mlflow import MlflowClient

    uri = os.environ["MLFLOW_TRACKING_URI"]
    client = MlflowClient(tracking_uri=uri)
    artifacts = (home / "artifacts").as_uri()
    compare_id = client.create_experiment("bench-compare", artifact_location=f"{artifacts}/c")
    list_id = client.create_experiment("bench-list", artifact_location=f"{artifacts}/l")
    database = sqlite3.connect(uri[len("sqlite:///"):])
    now = int(time.time() * 1000)
    rng = random.Random(14)
    compare_ids = []
    with database:
        for index in range(COMPARE_RUNS):
            run_id = uuid.uuid4().hex
            compare_ids.append(run_id)
            _insert_run(database, run_id, compare_id, f"trial-{index:04d}", now - index * 1000,
                        f"{artifacts}/c/{run_id}/artifacts")
            params = {f"p{k:02d}": str(rng.choice([1, 2, 4, 8])) if k < 6 else "fixed"
                      for k in range(PARAMS - 1)}
            params["seed"] = str(index % 5)
            database.executemany("INSERT INTO params VALUES (?, ?, ?)",
                                 [(key, value, run_id) for key, value in params.items()])
            metrics = {f"m{k:02d}" if k > 1 else ("accuracy", "rmse")[k]: rng.random()
                       for k in range(METRICS - 1)}
            metrics["loss"] = rng.random()
            rows = [(key, value, now, run_id, 0, 0) for key, value in metrics.items()]
            if index < HISTORY_RUNS:
                rows = [row for row in rows if row[0] != "loss"] + [
                    ("loss", 1 / (step + 1) + rng.random() / 50, now + step, run_id, step, 0)
                    for step in range(HISTORY_STEPS)]
            database.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", rows)
            latest = {}
            for key, value, timestamp, _, step, _ in rows:
                latest[key] = (key, value, timestamp, step, 0, run_id)
            database.executemany("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)",
                                 list(latest.values()))
        for index in range(LIST_RUNS):
            run_id = uuid.uuid4().hex
            _insert_run(database, run_id, list_id, f"run-{index:05d}", now - index * 1000,
                        f"{artifacts}/l/{run_id}/artifacts")
            database.executemany("INSERT INTO params VALUES (?, ?, ?)",
                                 [("lr", str(index % 7), run_id), ("depth", "4", run_id)])
            database.executemany("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)",
                                 [("accuracy", rng.random(), now, 0, 0, run_id),
                                  ("loss", rng.random(), now, 0, 0, run_id)])
            database.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)",
                                 [("accuracy", rng.random(), now, run_id, 0, 0),
                                  ("loss", rng.random(), now, run_id, 0, 0)])
    database.close()
    sessions = _sessions(client, compare_id, home)
    return {"compare_experiment": compare_id, "list_experiment": list_id,
            "compare_runs": compare_ids, "sessions": sessions}


def _insert_run(database, run_id, experiment_id, name, start, artifact_uri) -> None:
    database.execute(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
        "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
        "artifact_uri, experiment_id) VALUES (?, ?, 'LOCAL', '', '', 'bench', 'FINISHED', "
        "?, ?, '', 'active', ?, ?)",
        (run_id, name, start, start + 5000, artifact_uri, int(experiment_id)))
    database.execute("INSERT INTO tags VALUES ('mlflow.runName', ?, ?)", (name, run_id))


def _sessions(client, experiment_id: str, home: Path) -> list[str]:
    """Two session runs with 200-cell notebook snapshots: 3 cells edited, 2 added."""
    cells = [f"# step {i}\nvalue_{i} = compute({i}, scale=2)\nprint(value_{i})"
             for i in range(NOTEBOOK_CELLS)]
    edited = list(cells)
    for index in (10, 90, 150):
        edited[index] = edited[index].replace("scale=2", "scale=3")
    edited.insert(40, "extra = check(value_39)")
    edited.insert(120, "plot(value_119)")
    ids = []
    for label, sources in (("a", cells), ("b", edited[:NOTEBOOK_CELLS])):
        run_id = client.create_run(experiment_id, run_name=f"session {label}",
                                   tags={"mlops.kind": "session"}).info.run_id
        notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
            {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
             "execution_count": i + 1,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": f"{i}\n"}]}
            for i, source in enumerate(sources)]}
        folder = home / "snapshots" / label
        folder.mkdir(parents=True)
        (folder / "analysis.ipynb").write_text(json.dumps(notebook))
        client.log_artifact(run_id, str(folder / "analysis.ipynb"), "notebook")
        client.set_terminated(run_id)
        ids.append(run_id)
    return ids


# --------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start ``command`` in its own process group, output to ``log``."""
    with open(log, "wb") as stream:
        return subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM the process group led by ``process.pid``; SIGKILL what is left."""
    from mlops_jupyter.processes import stop_process_group

    stop_process_group(process.pid, grace, process=process)


def wait_ready(process: subprocess.Popen, port: int, path: str, log: Path,
               headers: dict[str, str] | None = None) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < READY_TIMEOUT_S:
        if process.poll() is not None:
            raise SystemExit(f"a server exited with {process.returncode}:\n"
                             f"{log.read_text(errors='replace')[-2000:]}")
        try:
            status, _ = request(port, "GET", path, headers=headers)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"not ready after {READY_TIMEOUT_S:.0f} s:\n"
                     f"{log.read_text(errors='replace')[-2000:]}")


def request(port: int, method: str, path: str, body: object = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        data = None if body is None else json.dumps(body)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def timed(repeat: int, call) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``call`` (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


SERVER_TIME = re.compile(r"(\d{3}) (GET|POST) \S*/mlops-jupyter/(\S+) .*? ([\d.]+)ms")


def server_times(log: Path, endpoint: str) -> list[float]:
    """Jupyter's own request times (its access log) of ``endpoint`` requests."""
    return [float(match.group(4)) for match in SERVER_TIME.finditer(log.read_text(errors="replace"))
            if match.group(3).startswith(endpoint) and match.group(1) == "200"]


# --------------------------------------------------------------- Chromium
def paint_times(lab_port: int, token: str, mlflow_port: int | None, facts: dict,
                repeat: int, profile: Path) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"http://127.0.0.1:{lab_port}/lab?token={token}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.commands"
                               ".hasCommand('mlops:compare-runs')", timeout=120_000)
        ours = []
        for _ in range(repeat):
            elapsed = page.evaluate("""async ids => {
                document.querySelectorAll('.jp-MLOps-compare').forEach(e => e.remove());
                const t0 = performance.now();
                await window.jupyterapp.commands.execute('mlops:compare-runs', {runIds: ids});
                await new Promise((resolve, reject) => {
                  const deadline = t0 + 60000;
                  const poll = () => {
                    const views = document.querySelectorAll('.jp-MLOps-compare[data-painted]');
                    if (views.length) { resolve(); return; }
                    if (performance.now() > deadline) { reject('timeout'); return; }
                    requestAnimationFrame(poll);
                  };
                  poll();
                });
                const elapsed = performance.now() - t0;
                await window.jupyterapp.commands.execute('application:close-all');
                return elapsed;
            }""", facts["compare_runs"])
            ours.append(elapsed / 1000)
        results["ours_s"] = ours
        if mlflow_port is not None:
            route = (f"#/compare-runs?runs={json.dumps(facts['compare_runs'])}"
                     f"&experiments={json.dumps([facts['compare_experiment']])}")
            peer = browser.new_page(viewport={"width": 1400, "height": 900})
            # Warm the UI's bundle into the browser cache first (as for JupyterLab).
            peer.goto(f"http://127.0.0.1:{mlflow_port}/", wait_until="load")
            peer.wait_for_timeout(3000)
            started = time.perf_counter()
            peer.goto(f"http://127.0.0.1:{mlflow_port}/{route}")
            try:
                peer.get_by_text("p00", exact=True).first.wait_for(
                    timeout=PEER_PAINT_TIMEOUT_S * 1000)
                results["mlflow_s"] = time.perf_counter() - started
            except Exception:  # noqa: BLE001 - the peer not painting in time is a result
                results["mlflow_s"] = None
            peer.screenshot(path=str(profile / "mlflow-compare.png"))
        browser.close()
    return results


# --------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bench-runs-"))
    home = workdir / "home"
    home.mkdir()
    env = {**os.environ, "MLOPS_JUPYTER_HOME": str(home),
           "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    os.environ.update({key: env[key] for key in ("MLOPS_JUPYTER_HOME", "MLFLOW_TRACKING_URI")})
    built = REPO / "mlops_jupyter" / "labextension"
    data = workdir / "jupyter-data" / "labextensions"
    data.mkdir(parents=True)
    (data / "mlops-jupyter").symlink_to(built)
    env["JUPYTER_PATH"] = str(workdir / "jupyter-data")
    for name in ("config", "runtime", "settings", "workspaces"):
        (workdir / name).mkdir()
    env.update(JUPYTER_CONFIG_DIR=str(workdir / "config"),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(workdir / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"))

    print("writing the store ...", file=sys.stderr)
    started = time.perf_counter()
    facts = build_store(home)
    print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr)

    processes = []
    results: dict = {}
    try:
        token = secrets.token_hex(16)
        lab_port = free_port()
        lab_log = workdir / "lab.log"
        processes.append(start([
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={lab_port}", "--port-retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
            "--LabApp.expose_app_in_browser=True", "--MLOpsExtensionApp.scheduler_enabled=False",
            "--ServerApp.log_level=DEBUG"], lab_log, env))
        auth = {"Authorization": f"token {token}"}
        wait_ready(processes[-1], lab_port, "/api/status", lab_log, auth)
        mlflow_port = None
        if not args.skip_mlflow:
            mlflow_port = free_port()
            mlflow_log = workdir / "mlflow.log"
            processes.append(start([
                sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1",
                "--port", str(mlflow_port), "--workers", "1",
                "--backend-store-uri", env["MLFLOW_TRACKING_URI"],
                "--default-artifact-root", (home / "artifacts").as_uri()], mlflow_log, env))
            wait_ready(processes[-1], mlflow_port, "/health", mlflow_log)

        print("measuring ...", file=sys.stderr)
        body = {"run_ids": facts["compare_runs"]}
        status, answer = request(lab_port, "POST", "/mlops-jupyter/runs/compare", body, auth)
        if status != 200:
            raise SystemExit(f"compare answered {status}: {answer[:300]!r}")
        results["compare_reply_kb"] = len(answer) / 1024
        results["compare_roundtrip_ms"] = timed(args.repeat, lambda: request(
            lab_port, "POST", "/mlops-jupyter/runs/compare", body, auth))
        results["compare_server_ms"] = server_times(lab_log, "runs/compare")[-args.repeat:]
        a, b = facts["sessions"]
        diff_path = f"/mlops-jupyter/runs/diff?a={a}&b={b}"
        status, answer = request(lab_port, "GET", diff_path, headers=auth)
        changed = sum(cell["status"] != "unchanged" for cell in json.loads(answer)["notebook"]
                      ["cells"]) if status == 200 else None
        results["diff_cells_not_unchanged"] = changed
        results["diff_roundtrip_ms"] = timed(args.repeat, lambda: request(
            lab_port, "GET", diff_path, headers=auth))
        results["diff_server_ms"] = server_times(lab_log, "runs/diff")[-args.repeat:]
        list_path = f"/mlops-jupyter/experiments/{facts['list_experiment']}/runs"
        results["list_ms"] = timed(args.repeat, lambda: request(
            lab_port, "GET", list_path, headers=auth))
        results["list_server_ms"] = server_times(lab_log, "experiments/")[-args.repeat:]
        if mlflow_port is not None:
            search = {"experiment_ids": [facts["list_experiment"]], "max_results": 50,
                      "order_by": ["attributes.start_time DESC"]}
            results["mlflow_list_ms"] = timed(args.repeat, lambda: request(
                mlflow_port, "POST", "/api/2.0/mlflow/runs/search", search))
        results.update(paint_times(lab_port, token, mlflow_port, facts,
                                   max(3, args.repeat // 2), workdir))
    finally:
        for process in reversed(processes):
            stop(process)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)
    report(results, args.json)
    return 0


def _median(values) -> float | None:
    values = [v for v in values or [] if v is not None]
    return statistics.median(values) if values else None


def report(results: dict, as_json: bool) -> None:
    summary = {
        "compare_server_ms": _median(results.get("compare_server_ms")),
        "compare_roundtrip_ms": _median(results.get("compare_roundtrip_ms")),
        "compare_reply_kb": results.get("compare_reply_kb"),
        "paint_ours_s": _median(results.get("ours_s")),
        "paint_mlflow_s": results.get("mlflow_s"),
        "diff_server_ms": _median(results.get("diff_server_ms")),
        "diff_roundtrip_ms": _median(results.get("diff_roundtrip_ms")),
        "diff_cells_not_unchanged": results.get("diff_cells_not_unchanged"),
        "list_ours_ms": _median(results.get("list_ms")),
        "list_server_ms": _median(results.get("list_server_ms")),
        "list_mlflow_ms": _median(results.get("mlflow_list_ms")),
    }
    if as_json:
        print(json.dumps({"summary": summary, "raw": results}, indent=2))
        return

    def fmt(value, unit):
        return "-" if value is None else f"{value:.0f} {unit}" if unit == "ms" else \
            f"{value:.2f} {unit}"

    def ratio(ours, peer):
        return f"{peer / ours:.1f}x faster" if ours and peer else "-"

    peer_paint = summary["paint_mlflow_s"]
    print(f"compare 1000 runs x {PARAMS} params x {METRICS} metrics "
          f"(reply {summary['compare_reply_kb']:.0f} KiB):")
    print(f"  server {fmt(summary['compare_server_ms'], 'ms')}, round trip "
          f"{fmt(summary['compare_roundtrip_ms'], 'ms')} "
          f"(target <= {TARGETS['compare_ms']:.0f} ms)")
    print(f"  first paint in Chromium: ours {fmt(summary['paint_ours_s'], 's')} "
          f"(target <= {TARGETS['paint_s']} s), MLflow UI compare page "
          f"{fmt(peer_paint, 's') if peer_paint else f'>{PEER_PAINT_TIMEOUT_S:.0f} s'}"
          f" -> {ratio(summary['paint_ours_s'], peer_paint or PEER_PAINT_TIMEOUT_S)}")
    print(f"diff of two {NOTEBOOK_CELLS}-cell snapshots: server "
          f"{fmt(summary['diff_server_ms'], 'ms')}, round trip "
          f"{fmt(summary['diff_roundtrip_ms'], 'ms')} (target <= {TARGETS['diff_ms']:.0f} ms;"
          f" {summary['diff_cells_not_unchanged']} cells changed/added/removed)")
    print(f"runs list, first page of {LIST_RUNS} runs: ours {fmt(summary['list_ours_ms'], 'ms')}"
          f" (server {fmt(summary['list_server_ms'], 'ms')}), MLflow runs/search "
          f"{fmt(summary['list_mlflow_ms'], 'ms')} -> "
          f"{ratio(summary['list_ours_ms'], summary['list_mlflow_ms'])}"
          f" (target <= {TARGETS['list_ms']:.0f} ms)")


if __name__ == "__main__":
    sys.exit(main())
