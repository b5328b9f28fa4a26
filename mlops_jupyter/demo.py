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
from .demo_serving import LIVE_MONITOR, ServingDemo
from .exceptions import MLOpsError, NotFoundError

TRACK_NOTEBOOK = "01_track.ipynb"
PIPELINE = "pipeline/pipeline.yaml"
PIPELINE_FOLDER = "pipeline"
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
    serving = ServingDemo(MODEL, notebooks / PIPELINE_FOLDER)
    steps = [
        Step("train", f"executing {TRACK_NOTEBOOK} with %mlops track",
             lambda: train_step(notebooks.resolve(), out)),
        Step("pipeline", f"{PIPELINE}, twice (the second run is all cache hits)",
             lambda: run_pipeline_step(notebooks / PIPELINE)),
        Step("register", f"the pipeline registered {MODEL} and promoted it through its "
                         "gate", run_registry_step, needs=("pipeline",)),
        Step("serve", f"serving {MODEL}@champion over HTTP (mlops serve)", serving.start,
             needs=("register",)),
        Step("traffic", "replaying the drifted production window as real requests, "
                        "true labels as feedback", serving.replay, needs=("serve",)),
        Step("drift", f"checking the live window ({LIVE_MONITOR}: drift, live rules, "
                      "retrain through the gate)", serving.check, needs=("traffic",)),
        Step("switch", "the endpoint follows @champion to the new version", serving.switch,
             needs=("drift",)),
        Step("dashboard", f"publishing {MODEL}'s dashboards for stakeholders",
             lambda: run_dashboard_step(published), needs=("drift",)),
    ]
    try:
        outcome = run_steps(steps)
    finally:
        serving.stop()
    print("\nNext:")
    print(f"  mlflow ui --backend-store-uri '{uri}' --port 5000   # or the launcher's MLflow UI tile")
    print(f"  jupyter lab {notebooks}   # MLOps sidebar on the left, %mlops in any notebook;")
    print("      Runs: open a run, tick runs to Compare or Diff them; the status bar and")
    print("      notifications say what the store and the last pipeline/job/check did")
    print("  mlops runs list --experiment breast-cancer-pipeline "
          "--filter 'metrics.accuracy > 0' --order-by 'metrics.accuracy DESC'")
    print("  mlops runs diff RUN_A RUN_B   # what changed between two runs")
    print(f"  mlops pipeline show {notebooks / PIPELINE}")
    print(f"  mlops models lineage {MODEL}@champion; mlops drift history {MODEL}")
    print(f"  mlops serve {MODEL}@champion --port 5001   # the champion over HTTP; "
          "mlops deployments list")
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


def run_dashboard_step(published: list[Path] | None = None) -> str | None:
    """Publish the example model's dashboards (overview, drift, health, production);
    the folder is appended to ``published``."""
    from .dashboards.publish import dashboards_dir, publish_all

    folder = dashboards_dir()
    for path in publish_all(MODEL, folder):
        print(f"      {path}")
    if published is not None:
        published.append(folder)
    return None
