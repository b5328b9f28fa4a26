"""Registry listing and lineage vs. the equivalent raw MlflowClient calls, one run.

A fresh embedded (SQLite) store gets 10 registered models × 50 versions = 500
versions, each on its own run with metrics and lineage tags. Then:

1. ``registry.list_models()`` (what ``GET /mlops-jupyter/models`` serves) against the
   straightforward MlflowClient equivalent: search models, search versions, and
   ``get_run`` per version for its metrics. Target ≤ 200 ms.
2. ``registry.lineage(name, version)`` against the raw calls a client would make
   (version, run, experiment, artifacts list). Target ≤ 100 ms.

Usage::

    python benchmarks/bench_registry.py [--models 10] [--versions 50] [--repeat 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time


def _median_ms(function, repeat: int) -> float:
    function()  # warm caches (SQLAlchemy compiled statements, imports)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _populate(models: int, versions: int) -> list[tuple[str, str]]:
    from mlflow.entities import Metric

    from mlops_jupyter.tracking import store

    client = store.client()
    experiment = store.get_or_create_experiment("bench-registry")
    created = []
    for m in range(models):
        name = f"model-{m}"
        client.create_registered_model(name)
        for v in range(versions):
            run = client.create_run(experiment, tags={
                "mlops.kind": "step", "mlops.step.name": "train",
                "mlops.pipeline.run_id": f"run-{v}", "mlops.git.commit": "0" * 40})
            client.log_batch(run.info.run_id, metrics=[
                Metric("accuracy", 0.9 + v / 1000, 0, 0), Metric("f1", 0.8, 0, 0)])
            client.set_terminated(run.info.run_id)
            version = client.create_model_version(name, f"runs:/{run.info.run_id}/model",
                                                  run_id=run.info.run_id)
            created.append((name, str(version.version)))
        client.set_registered_model_alias(name, "champion", str(versions))
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--versions", type=int, default=50, help="versions per model")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    os.environ["MLOPS_JUPYTER_HOME"] = tempfile.mkdtemp(prefix="mlops-bench-registry-")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    from mlops_jupyter.registry import lineage
    from mlops_jupyter.registry.listing import list_models
    from mlops_jupyter.tracking import store

    started = time.perf_counter()
    created = _populate(args.models, args.versions)
    setup_s = time.perf_counter() - started
    client = store.client()

    def raw_listing():
        listing = []
        for model in client.search_registered_models(max_results=1000):
            for version in client.search_model_versions(f"name='{model.name}'",
                                                        max_results=10_000):
                run = client.get_run(version.run_id)
                listing.append((model.name, version.version, run.data.metrics, model.aliases))
        return listing

    name, version = created[len(created) // 2]

    def raw_lineage():
        found = client.get_model_version(name, version)
        run = client.get_run(found.run_id)
        client.get_experiment(run.info.experiment_id)
        client.list_artifacts(run.info.run_id)

    figures = {
        "versions": len(created), "setup_s": setup_s,
        "list_ours_ms": _median_ms(lambda: json.dumps(list_models(), default=str), args.repeat),
        "list_raw_ms": _median_ms(raw_listing, max(3, args.repeat // 2)),
        "lineage_ours_ms": _median_ms(lambda: lineage(name, version), args.repeat),
        "lineage_raw_ms": _median_ms(raw_lineage, args.repeat),
    }
    figures["list_ratio_raw_over_ours"] = figures["list_raw_ms"] / figures["list_ours_ms"]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"registry: {len(created)} model versions ({args.models} models), "
          f"set up in {setup_s:.1f} s")
    print(f"list_models (API payload), median: {figures['list_ours_ms']:8.1f} ms  "
          "target <= 200 ms")
    print(f"raw MlflowClient listing, median:  {figures['list_raw_ms']:8.1f} ms  "
          f"-> ours is {figures['list_ratio_raw_over_ours']:.1f}x faster")
    print(f"lineage of one version, median:    {figures['lineage_ours_ms']:8.1f} ms  "
          "target <= 100 ms")
    print(f"raw MlflowClient lineage calls:    {figures['lineage_raw_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
