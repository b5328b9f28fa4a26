"""The end-to-end demo behind ``mlops demo`` / ``make demo``.

Executes the example notebooks headless (papermill, a real kernel) against the
configured store and prints where everything went.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import config
from .exceptions import NotFoundError

TRACK_NOTEBOOK = "01_track.ipynb"
PIPELINE = "pipeline/pipeline.yaml"
MONITOR = "pipeline/monitor.yaml"
MODEL = "breast-cancer"
STEPS = 5


def _wait_for_spool(timeout: float) -> int:
    from .tracking.spool import spooled_event_count

    deadline = time.monotonic() + timeout
    while (left := spooled_event_count(config.spool_dir())) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def run_tracking_step(notebooks: Path, out: Path) -> dict:
    """Execute 01_track.ipynb with tracking on; return what it recorded."""
    import papermill

    source = notebooks / TRACK_NOTEBOOK
    if not source.is_file():
        raise NotFoundError(f"no {TRACK_NOTEBOOK} in {notebooks} (pass --notebooks)")
    target = out / TRACK_NOTEBOOK
    previous = os.environ.get("MLOPS_NOTEBOOK")
    # papermill kernels cannot tell which notebook they run; this names the experiment
    # after it and lets the snapshot pick up the executed copy.
    os.environ["MLOPS_NOTEBOOK"] = str(target)
    try:
        papermill.execute_notebook(str(source), str(target), kernel_name="python3",
                                   cwd=str(notebooks), progress_bar=True)
    finally:
        if previous is None:
            os.environ.pop("MLOPS_NOTEBOOK", None)
        else:
            os.environ["MLOPS_NOTEBOOK"] = previous
    pending = _wait_for_spool(60)

    from .tracking.store import client

    mlflow_client = client()
    experiment = mlflow_client.get_experiment_by_name(Path(TRACK_NOTEBOOK).stem)
    runs = mlflow_client.search_runs([experiment.experiment_id]) if experiment else []
    return {"notebook": target, "experiment": experiment, "runs": runs, "pending": pending}


def run_demo(notebooks: Path, out: Path | None, serve: bool = True) -> int:
    """Run each demo step and print a summary; returns the exit code."""
    if not (notebooks / TRACK_NOTEBOOK).is_file():
        raise NotFoundError(f"no {TRACK_NOTEBOOK} in {notebooks} (pass --notebooks DIR)")
    out = out or config.home_dir() / "demo"
    out.mkdir(parents=True, exist_ok=True)
    uri = config.tracking_uri()
    print(f"mlops demo: tracking store {uri}")
    print(f"\n[1/{STEPS}] train: executing 01_track.ipynb with %mlops track")
    result = run_tracking_step(notebooks.resolve(), out)
    runs = result["runs"]
    cells = [r for r in runs if r.data.tags.get("mlops.kind") == "cell"]
    failed = [r for r in cells if r.info.status != "FINISHED"]
    scores = [r.data.metrics["accuracy"] for r in cells if "accuracy" in r.data.metrics]
    print(f"      executed notebook: {result['notebook']}")
    if result["experiment"] is not None:
        print(f"      experiment {result['experiment'].name!r} "
              f"(id {result['experiment'].experiment_id}): {len(runs)} runs, "
              f"{len(cells)} cell runs, {len(failed)} failed"
              + (f"; accuracy {max(scores):.3f}" if scores else ""))
    if result["pending"]:
        print(f"      {result['pending']} event(s) still spooled; `mlops spool flush` writes them")

    pipeline_ok = run_pipeline_step(notebooks / PIPELINE)
    registry_ok = pipeline_ok and run_registry_step()
    drift_ok = registry_ok and run_drift_step(notebooks / MONITOR)
    folder = run_dashboard_step() if drift_ok else None
    print("\nNext:")
    print(f"  mlflow ui --backend-store-uri '{uri}' --port 5000   # then open http://127.0.0.1:5000")
    print(f"  jupyter lab {notebooks}   # MLOps sidebar on the left, %mlops in any notebook")
    print(f"  mlops pipeline show {notebooks / PIPELINE}")
    print(f"  mlops models lineage {MODEL}@champion; mlops drift history {MODEL}")
    ok = result["experiment"] is not None and not failed and folder is not None
    if not ok:
        return 1
    if not serve:
        print(f"  mlops dashboard serve {folder}   # the stakeholders' dashboards, token-protected")
        return 0
    from .dashboards.serve import ServeOptions
    from .dashboards.serve import serve as serve_dashboards

    print("\nServing the dashboards for stakeholders (Ctrl-C stops):")
    return serve_dashboards(ServeOptions(directory=folder),
                            announce=lambda line: print(f"  {line}"))


def run_pipeline_step(path: Path) -> bool:
    """Run the example pipeline twice: once for real, once all cached."""
    from .pipelines.report import TerminalProgress, summary
    from .pipelines.runner import run_pipeline
    from .pipelines.spec import load_spec

    spec = load_spec(path)
    print(f"\n[2/{STEPS}] pipeline: {spec.name}, {len(spec.steps)} steps "
          "(cached steps from earlier runs are skipped)")
    first = run_pipeline(spec, on_change=TerminalProgress())
    print(summary(first))
    if not first.ok:
        return False
    print("      ...and again, unchanged: every step is a cache hit")
    second = run_pipeline(spec, on_change=TerminalProgress())
    took = (second.ended or second.started) - second.started
    cached = sum(state.status == "CACHED" for state in second.steps.values())
    print(f"      re-run: {cached}/{len(spec.steps)} steps cached, {took:.2f} s")
    return second.ok


def run_registry_step() -> bool:
    """What the pipeline's register step did: versions, champion, its lineage."""
    from .registry import common
    from .registry.lineage import lineage

    print(f"\n[3/{STEPS}] register: the pipeline registered {MODEL} and promoted it "
          "through its gate")
    model = common.get_registered_model(MODEL)
    champion = (model.aliases or {}).get("champion")
    if champion is None:
        print("      no champion: the gate refused every version (mlops models list)")
        return False
    info = lineage(MODEL, "champion")
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in sorted(info["run"]["metrics"].items()))
    print(f"      @champion = v{champion} ({metrics})")
    print(f"      lineage: step {info['pipeline']['step']} of pipeline run "
          f"{info['pipeline']['run_id']}, {len(info['upstream'])} upstream steps, "
          f"git {(info['git'] or {}).get('commit', 'none')[:12]}")
    return True


def write_drifted_window(folder: Path) -> Path:
    """``data/current.csv``: the test rows with two thirds of the features shifted,
    standing in for a production window that has drifted."""
    import pandas as pd

    frame = pd.read_csv(folder / "data" / "test.csv").drop(columns="target")
    for column in frame.columns[: 2 * len(frame.columns) // 3]:
        frame[column] = frame[column] + 2 * frame[column].std()
    path = folder / "data" / "current.csv"
    frame.to_csv(path, index=False)
    return path


def run_drift_step(monitor: Path) -> bool:
    """Check a drifted window: verdicts, alerts, and the retrain through the gate."""
    from .monitoring.checks import run_check
    from .monitoring.render import drift_lines
    from .monitoring.spec import load_monitor

    print(f"\n[4/{STEPS}] drift: checking a drifted production window "
          f"({monitor.name}: alert and retrain rules)")
    write_drifted_window(monitor.parent)
    result = run_check(load_monitor(monitor), source="demo")
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
    return retrain.get("status") != "failed"


def run_dashboard_step() -> Path:
    """Publish the example model's dashboards (overview, drift, health)."""
    from .dashboards.publish import dashboards_dir, publish_all

    print(f"\n[5/{STEPS}] dashboard: publishing {MODEL}'s dashboards for stakeholders")
    folder = dashboards_dir()
    for path in publish_all(MODEL, folder):
        print(f"      {path}")
    return folder
