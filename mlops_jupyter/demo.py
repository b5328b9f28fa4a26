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
STEPS = 2


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


def run_demo(notebooks: Path, out: Path | None) -> int:
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
    print("\nNext:")
    print(f"  mlflow ui --backend-store-uri '{uri}' --port 5000   # then open http://127.0.0.1:5000")
    print(f"  jupyter lab {notebooks}   # MLOps sidebar on the left, %mlops in any notebook")
    print(f"  mlops pipeline show {notebooks / PIPELINE}")
    return 0 if result["experiment"] is not None and not failed and pipeline_ok else 1


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
