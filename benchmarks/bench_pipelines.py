"""Pipelines vs. bare papermill, measured in one run on this machine.

1. Unchanged re-run of the example pipeline (`mlops pipeline run`, all 7 steps
   cached) vs. bare papermill re-executing the same notebooks. Target ≥ 10×.
2. Four independent steps on this machine's cores (local executor) vs. the same four
   notebooks run one after another by papermill. Target ≥ 1.7×.
3. Per-step overhead: a one-step pipeline (`--force`) vs. `papermill` on the same
   notebook, both as fresh command-line processes. Target ≤ 10 %.

Everything runs in a temporary copy of example_notebooks/pipeline with its own
MLOPS_JUPYTER_HOME. Usage::

    python benchmarks/bench_pipelines.py [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[1] / "example_notebooks" / "pipeline"
BIN = Path(sys.executable).parent


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _papermill_commands(spec: dict, steps: list[str], out: Path) -> list[list[str]]:
    """`papermill` command lines equivalent to the given steps of a spec."""
    defaults = spec.get("defaults", {}).get("parameters", {})
    outputs = {s["name"]: s.get("outputs", {}) for s in spec["steps"]}
    commands = []
    for step in spec["steps"]:
        if step["name"] not in steps:
            continue
        command = [str(BIN / "papermill"), step["notebook"], str(out / f"{step['name']}.ipynb"),
                   "-k", "python3", "--no-progress-bar"]
        parameters = dict(step.get("parameters", {}))
        if "seed" in json.dumps(defaults):
            parameters.setdefault("seed", defaults["seed"])
        for key, value in parameters.items():
            if isinstance(value, str) and value.startswith("${steps."):
                ref_step, _, ref_output = value[len("${steps."):-1].split(".")
                value = outputs[ref_step][ref_output]
            command += ["-y", yaml.safe_dump({key: value}).strip()]
        commands.append(command)
    return commands


def _independent_pipeline(folder: Path) -> Path:
    """Four independent training steps (forest, different seeds) after one prepare run."""
    steps = [{"name": f"train_{i}", "notebook": "train_sklearn.ipynb",
              "parameters": {"model": "forest", "n_estimators": 100, "seed": i,
                             "model_path": f"models/bench_{i}.pkl"},
              "outputs": {"model": f"models/bench_{i}.pkl"}} for i in range(4)]
    path = folder / "independent.yaml"
    path.write_text(yaml.safe_dump({"name": "independent", "steps": steps}, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlops-bench-pipelines-"))
    folder = work / "pipeline"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("data", "models",
                                                                    "reports", ".mlops"))
    out = work / "papermill-out"
    out.mkdir()
    env = dict(os.environ, MLOPS_JUPYTER_HOME=str(work / "home"))
    env.pop("MLFLOW_TRACKING_URI", None)
    mlops = [str(BIN / "mlops"), "pipeline", "run"]
    spec = yaml.safe_load((folder / "pipeline.yaml").read_text())
    names = [s["name"] for s in spec["steps"]]
    figures: dict[str, float] = {}

    # 1. unchanged re-run
    cold = _timed([*mlops, "pipeline.yaml"], folder, env)
    cached = statistics.median(_timed([*mlops, "pipeline.yaml"], folder, env)
                               for _ in range(args.repeat))
    bare = sum(_timed(c, folder, env) for c in _papermill_commands(spec, names, out))
    figures.update(cold_run_s=cold, cached_rerun_s=cached, papermill_rerun_s=bare,
                   rerun_speedup=bare / cached)

    # 2. four independent steps, parallel vs sequential
    independent = _independent_pipeline(folder)
    parallel = _timed([*mlops, independent.name, "--force"], folder, env)
    sequential_spec = yaml.safe_load(independent.read_text())
    sequential = sum(_timed(c, folder, env) for c in _papermill_commands(
        sequential_spec, [s["name"] for s in sequential_spec["steps"]], out))
    figures.update(parallel_4_steps_s=parallel, sequential_4_steps_s=sequential,
                   parallel_speedup=sequential / parallel, cores=os.cpu_count())

    # 3. per-step overhead, one step, fresh processes each
    ours, theirs = [], []
    single = _papermill_commands(spec, ["train_logreg"], out)[0]
    for _ in range(args.repeat):
        theirs.append(_timed(single, folder, env))
        ours.append(_timed([*mlops, "pipeline.yaml", "--only", "train_logreg", "--force"],
                           folder, env))
    figures.update(single_step_ours_s=statistics.median(ours),
                   single_step_papermill_s=statistics.median(theirs))
    figures["per_step_overhead_pct"] = 100 * (figures["single_step_ours_s"] /
                                              figures["single_step_papermill_s"] - 1)
    shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"cold run of the {len(names)}-step pipeline:       {cold:6.2f} s")
    print(f"unchanged re-run (all cached), median: {cached:6.2f} s   target <= 1 s")
    print(f"bare papermill re-executing {len(names)} steps:   {bare:6.2f} s")
    print(f"  -> re-run speed-up:                  {figures['rerun_speedup']:6.1f}x  target >= 10x")
    print(f"4 independent steps, local executor:   {parallel:6.2f} s  ({os.cpu_count()} cores)")
    print(f"same 4 notebooks, sequential papermill:{sequential:6.2f} s")
    print(f"  -> parallel speed-up:                {figures['parallel_speedup']:6.2f}x "
          "target >= 1.7x")
    print(f"one step via mlops, median:            {figures['single_step_ours_s']:6.2f} s")
    print(f"same notebook via papermill, median:   {figures['single_step_papermill_s']:6.2f} s")
    print(f"  -> per-step overhead:                {figures['per_step_overhead_pct']:+6.1f} % "
          "target <= 10 %")


if __name__ == "__main__":
    main()
