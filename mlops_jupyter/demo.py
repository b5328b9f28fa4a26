"""The end-to-end demo behind ``mlops demo`` / ``make demo``.

Executes the example notebooks headless (papermill, a real kernel) against the
configured store and prints where everything went.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import config
from .exceptions import MLOpsError, NotFoundError

TRACK_NOTEBOOK = "01_track.ipynb"
PIPELINE = "pipeline/pipeline.yaml"
MONITOR = "pipeline/monitor.yaml"
MODEL = "breast-cancer"


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
                                   cwd=str(notebooks), progress_bar=False)
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


@dataclass(frozen=True)
class Step:
    """One demo step: ``run()`` prints its details and returns None when it worked or
    the reason it did not (an exception counts as a failure too)."""

    name: str
    title: str
    run: Callable[[], str | None]
    needs: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What :func:`run_steps` did: ``{step: reason}`` of failed ones, skipped ones."""

    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def closing_line(self) -> str | None:
        """``mlops demo: FAILED — step X failed (why); skipped: Y, Z``; None when ok."""
        if self.ok:
            return None
        return ("mlops demo: FAILED — " + "; ".join(
            f"step {name} failed ({reason})" for name, reason in self.failed.items())
            + (f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""))


def run_steps(steps: list[Step], emit: Callable[[str], None] = print) -> Outcome:
    """Run the steps in order; a step whose ``needs`` failed (or were skipped) is
    skipped. Both are said as they happen; :meth:`Outcome.closing_line` sums up."""
    outcome = Outcome()
    total = len(steps)
    for number, step in enumerate(steps, 1):
        blocked = [name for name in step.needs
                   if name in outcome.failed or name in outcome.skipped]
        if blocked:
            outcome.skipped.append(step.name)
            emit(f"\n[{number}/{total}] {step.name}: SKIPPED — needs "
                 f"{', '.join(blocked)}, which did not complete")
            continue
        emit(f"\n[{number}/{total}] {step.name}: {step.title}")
        try:
            reason = step.run()
        except KeyboardInterrupt:
            raise
        except Exception as error:  # noqa: BLE001 - a failed step is reported, not raised
            reason = describe_error(error)
        if reason is not None:
            outcome.failed[step.name] = reason
            emit(f"      FAILED: {reason}")
    return outcome


def describe_error(error: BaseException) -> str:
    """One line for an exception: a notebook's failing cell, or the error's first line."""
    if getattr(error, "ename", None):  # papermill's execution error
        cell = getattr(error, "exec_count", None)
        return (f"{'cell [' + str(cell) + '] ' if cell is not None else ''}raised "
                f"{error.ename}: {str(error.evalue).splitlines()[0][:300] if error.evalue else ''}")
    text = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    if isinstance(error, MLOpsError):
        return text[:300] or type(error).__name__
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


def run_demo(notebooks: Path, out: Path | None, serve: bool = True) -> int:
    """Run each demo step and print a summary; returns the exit code (1 when a step
    failed, naming it and the steps skipped because of it)."""
    if not (notebooks / TRACK_NOTEBOOK).is_file():
        raise NotFoundError(f"no {TRACK_NOTEBOOK} in {notebooks} (pass --notebooks DIR)")
    out = out or config.home_dir() / "demo"
    out.mkdir(parents=True, exist_ok=True)
    uri = config.tracking_uri()
    print(f"mlops demo: tracking store {uri}")
    published: list[Path] = []
    steps = [
        Step("train", f"executing {TRACK_NOTEBOOK} with %mlops track",
             lambda: train_step(notebooks.resolve(), out)),
        Step("pipeline", f"{PIPELINE}, twice (the second run is all cache hits)",
             lambda: run_pipeline_step(notebooks / PIPELINE)),
        Step("register", f"the pipeline registered {MODEL} and promoted it through its "
                         "gate", run_registry_step, needs=("pipeline",)),
        Step("drift", f"checking a drifted production window ({Path(MONITOR).name}: "
                      "alert and retrain rules)",
             lambda: run_drift_step(notebooks / MONITOR), needs=("register",)),
        Step("dashboard", f"publishing {MODEL}'s dashboards for stakeholders",
             lambda: run_dashboard_step(published), needs=("drift",)),
    ]
    outcome = run_steps(steps)
    print("\nNext:")
    print(f"  mlflow ui --backend-store-uri '{uri}' --port 5000   # then open http://127.0.0.1:5000")
    print(f"  jupyter lab {notebooks}   # MLOps sidebar on the left, %mlops in any notebook")
    print(f"  mlops pipeline show {notebooks / PIPELINE}")
    print(f"  mlops models lineage {MODEL}@champion; mlops drift history {MODEL}")
    if not outcome.ok:
        print(f"\n{outcome.closing_line()}")  # last, where a reader of the log looks
        return 1
    folder = published[0]
    if not serve:
        print(f"  mlops dashboard serve {folder}   # the stakeholders' dashboards, token-protected")
        return 0
    from .dashboards.serve import ServeOptions
    from .dashboards.serve import serve as serve_dashboards

    print("\nServing the dashboards for stakeholders (Ctrl-C stops):")
    return serve_dashboards(ServeOptions(directory=folder),
                            announce=lambda line: print(f"  {line}"))


def train_step(notebooks: Path, out: Path) -> str | None:
    """Step 1: what the tracked notebook recorded; the reason when it did not work."""
    result = run_tracking_step(notebooks, out)
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
    if result["experiment"] is None:
        return f"{TRACK_NOTEBOOK} recorded no experiment"
    if failed:
        return f"{len(failed)} of {len(cells)} cell runs of {TRACK_NOTEBOOK} failed"
    return None


def run_pipeline_step(path: Path) -> str | None:
    """Run the example pipeline twice: once for real, once all cached."""
    from .pipelines.progress import TerminalProgress
    from .pipelines.runner import run_pipeline
    from .pipelines.spec import load_spec

    spec = load_spec(path)
    print(f"      {spec.name}: {len(spec.steps)} steps (cached steps from earlier runs are "
          "skipped)")
    first = run_pipeline(spec, on_change=TerminalProgress())
    # The progress lines above already show each step's outcome; only the totals here.
    print(f"      {_pipeline_totals(first)}")
    if not first.ok:
        return _pipeline_failure(first)
    print("      ...and again, unchanged: every step is a cache hit")
    second = run_pipeline(spec, on_change=TerminalProgress())
    took = (second.ended or second.started) - second.started
    cached = sum(state.status == "CACHED" for state in second.steps.values())
    print(f"      re-run: {cached}/{len(spec.steps)} steps cached, {took:.2f} s")
    return None if second.ok else _pipeline_failure(second)


def _pipeline_totals(run) -> str:
    from .pipelines.progress import summary

    return summary(run).splitlines()[0] + f" (run folder {run.run_dir})"


def _pipeline_failure(run) -> str:
    """``step NAME failed: ...`` for the pipeline's first failed step."""
    from .pipelines.progress import describe_step

    bad = [state for name in run.selected if (state := run.steps[name]).status
           in ("FAILED", "TIMED_OUT", "KERNEL_DIED")]
    if not bad:
        return f"pipeline {run.spec.name} ended {run.status}"
    first = bad[0]
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    notebook = f"; output notebook {run.spec.root / first.output_notebook}" \
        if first.output_notebook else ""
    return f"pipeline step {first.name} {describe_step(first)}{more}{notebook}"


def run_registry_step() -> str | None:
    """What the pipeline's register step did: versions, champion, its lineage."""
    from .registry import common
    from .registry.lineage import lineage

    model = common.get_registered_model(MODEL)
    champion = (model.aliases or {}).get("champion")
    if champion is None:
        return "no champion: the gate refused every version (mlops models list)"
    info = lineage(MODEL, "champion")
    metrics = ", ".join(f"{k} {v:.3f}" for k, v in sorted(info["run"]["metrics"].items()))
    print(f"      @champion = v{champion} ({metrics})")
    print(f"      lineage: step {info['pipeline']['step']} of pipeline run "
          f"{info['pipeline']['run_id']}, {len(info['upstream'])} upstream steps, "
          f"git {(info['git'] or {}).get('commit', 'none')[:12]}")
    return None


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


def run_drift_step(monitor: Path) -> str | None:
    """Check a drifted window: verdicts, alerts, and the retrain through the gate."""
    from .monitoring.checks import run_check
    from .monitoring.render import drift_lines
    from .monitoring.spec import load_monitor

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
    if retrain.get("status") == "failed":
        return f"the retrain failed: {retrain.get('reason') or 'see the lines above'}"
    return None


def run_dashboard_step(published: list[Path] | None = None) -> str | None:
    """Publish the example model's dashboards (overview, drift, health); the folder is
    appended to ``published``."""
    from .dashboards.publish import dashboards_dir, publish_all

    folder = dashboards_dir()
    for path in publish_all(MODEL, folder):
        print(f"      {path}")
    if published is not None:
        published.append(folder)
    return None
