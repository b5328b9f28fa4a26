"""What a pipeline run leaves in MLflow: a pipeline run with one child run per step.

A real run (step kernels log metrics through ``mlops_jupyter.log_metric``), then a
fully cached re-run; the flushers write to the embedded SQLite store of a fresh home.
"""

from __future__ import annotations

import pytest

from mlops_jupyter import config
from tests.magics.helpers import artifact_text, experiment_runs, metric_points, wait_for
from tests.pipelines.helpers import isolated_home, run, write_project

PIPELINE = """
    name: tracked
    experiment: tracked-exp
    steps:
      - name: A
        notebook: a.ipynb
        parameters: {scale: 3, label: "x y"}
        outputs: {result: out/a.txt}
      - name: B
        notebook: b.ipynb
        parameters: {source: "${steps.A.outputs.result}"}
"""
NOTEBOOKS = {
    "a.ipynb": ("scale = 1\nlabel = ''", ["""
        import os
        import mlops_jupyter
        for i in range(3):
            mlops_jupyter.log_metric("score", scale * i)
        mlops_jupyter.log_param("note", label.upper())
        os.makedirs("out", exist_ok=True)
        open("out/a.txt", "w").write(str(scale))
    """]),
    "b.ipynb": ("source = ''", ["""
        import mlops_jupyter
        mlops_jupyter.log_metric("length", len(open(source).read()))
    """]),
}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    """(first run, cached re-run, {run name or tag: mlflow Run}, client, tmp folder)."""
    from mlops_jupyter.tracking.store import client as store_client

    base = tmp_path_factory.mktemp("tracking")
    file = write_project(base / "project", PIPELINE, NOTEBOOKS)
    with isolated_home(base / "home"):
        first = run(file)
        second = run(file)
        # Opened like mlops-jupyter does, under the lock that serialises creating the
        # schema: the runner's flusher may be creating it at this very moment.
        client = store_client(config.tracking_uri())

        def complete():
            try:
                runs = experiment_runs(client, "tracked-exp")
            except AssertionError:  # no experiment yet
                return None
            done = [r for r in runs if r.info.status != "RUNNING"]
            cached = [r for r in runs if r.data.tags.get("mlops.cache.hit") == "true"]
            metrics = [r for r in runs if "score" in r.data.metrics or "length" in r.data.metrics]
            if (len(runs) == 6 and len(done) == 6 and len(metrics) == 2
                    and all("mlops.cache.source_run_id" in r.data.tags for r in cached)):
                return runs
            return None

        runs = wait_for(complete, 120, "6 finished runs in MLflow", interval=0.5)
    return first, second, runs, client, base


def by_key(tracked, key: str):
    return next(r for r in tracked[2] if r.data.tags.get("mlops.run_key") == key)


def test_pipeline_runs_are_tagged_with_the_spec(tracked):
    first, second, runs, client, base = tracked
    pipelines = [r for r in runs if r.data.tags.get("mlops.kind") == "pipeline"]
    assert len(pipelines) == 2
    for pipeline_run, mlflow_run in ((first, by_key(tracked, first.pipeline_key)),
                                     (second, by_key(tracked, second.pipeline_key))):
        tags = mlflow_run.data.tags
        assert tags["mlops.pipeline.name"] == "tracked"
        assert tags["mlops.pipeline.spec_hash"] == pipeline_run.spec.source_hash
        assert tags["mlops.pipeline.run_id"] == pipeline_run.run_id
        assert tags["mlops.pipeline.status"] == "FINISHED"
        assert mlflow_run.info.status == "FINISHED"
        text = artifact_text(client, mlflow_run.info.run_id, "pipeline/pipeline.yaml",
                             base / "downloads" / pipeline_run.run_id)
        assert text == pipeline_run.spec.source


def test_one_child_run_per_step(tracked):
    first, _, runs, client, base = tracked
    parent = by_key(tracked, first.pipeline_key)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert sorted(r.info.run_name for r in children) == ["A", "B"]
    a, b = (by_key(tracked, first.steps[n].run_key) for n in ("A", "B"))
    assert a.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert a.data.tags["mlops.kind"] == "step"
    assert a.data.tags["mlops.step.status"] == "FINISHED"
    assert a.data.tags["mlops.step.cache_key"] == first.steps["A"].cache_key
    assert a.info.status == b.info.status == "FINISHED"
    assert a.data.params["scale"] == "3" and a.data.params["label"] == "x y"
    assert a.data.params["note"] == "X Y"  # logged by the notebook
    assert b.data.params["source"] == "out/a.txt"
    assert metric_points(client, a.info.run_id, "score") == [(0, 0.0), (1, 3.0), (2, 6.0)]
    assert metric_points(client, b.info.run_id, "length") == [(0, 1.0)]
    notebook = artifact_text(client, a.info.run_id, "notebook/A.ipynb", base / "downloads" / "A")
    assert "mlops_jupyter.log_metric" in notebook and "injected-parameters" in notebook


def test_cached_steps_link_to_the_producing_run(tracked):
    first, second, _runs, _, _ = tracked
    parent = by_key(tracked, second.pipeline_key)
    for name in ("A", "B"):
        assert second.steps[name].status == "CACHED"
        cached = by_key(tracked, second.steps[name].run_key)
        producer = by_key(tracked, first.steps[name].run_key)
        tags = cached.data.tags
        assert tags["mlflow.parentRunId"] == parent.info.run_id
        assert tags["mlops.cache.hit"] == "true"
        assert tags["mlops.step.status"] == "CACHED"
        assert tags["mlops.cache.source_run_id"] == producer.info.run_id
        assert tags["mlops.cache.source_pipeline_run"] == first.run_id
        assert cached.info.status == "FINISHED"
        assert cached.info.run_id != producer.info.run_id
