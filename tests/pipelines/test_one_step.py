"""A run with one step to execute costs about what papermill costs.

What makes it so, checked on a real run in a fresh process (the timing itself is
measured against papermill in benchmarks/bench_pipelines.py, never asserted here):
the step's kernel is started by the runner's own process (no worker process that
imports papermill a second time), the runner never imports MLflow (the models'
gates go through the tracking journal like the runs), and papermill is imported
without jsonschema's rfc3987 grammar and pyarrow (for hdfs:// notebooks). The records still reach the store: the step's
run with its metric and notebook, and the declared gate.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlops_jupyter.registry.policy import POLICY_TAG
from mlops_jupyter.tracking import store
from tests.magics.helpers import REPO_ROOT, experiment_runs, kernel_env, wait_for
from tests.pipelines.helpers import run, write_project

PIPELINE = """
    name: lean
    experiment: lean-exp
    steps:
      - name: first
        notebook: step.ipynb
        parameters: {n: 3}
        outputs: {pid: out/parent.txt}
      - name: second
        notebook: step.ipynb
        needs: [first]
    gate:
      lean-model:
        thresholds: ["accuracy >= 0.5"]
"""
NOTEBOOKS = {"step.ipynb": ("n = 1", ["""
    import os
    import mlops_jupyter
    mlops_jupyter.log_metric("n_squared", n * n)
    os.makedirs("out", exist_ok=True)
    open("out/parent.txt", "w").write(str(os.getppid()))  # who started this kernel
"""])}

RUNNER = """
import json, os, sys
from mlops_jupyter.pipelines.runner import RunOptions, run_pipeline
from mlops_jupyter.pipelines.spec import load_spec

run = run_pipeline(load_spec(sys.argv[1]), RunOptions(only=["first"], force=True))
print(json.dumps({"ok": run.ok, "pid": os.getpid(),
                  "mlflow": sorted(m for m in sys.modules if m.split(".")[0] == "mlflow"),
                  "unused": sorted(m for m in ("rfc3987_syntax", "pyarrow") if m in sys.modules),
                  "papermill": "papermill" in sys.modules}))
"""


@pytest.mark.parametrize("other_store", [False, True], ids=["embedded", "MLFLOW_TRACKING_URI"])
def test_a_one_step_run_starts_its_kernel_itself_and_never_imports_mlflow(
        home, tmp_path, other_store):
    uri = f"sqlite:///{tmp_path / 'other' / 'mlflow.db'}" if other_store else None
    if uri:
        (tmp_path / "other").mkdir()
    file = write_project(tmp_path / "project", PIPELINE, NOTEBOOKS)

    # cwd: with MLFLOW_TRACKING_URI=sqlite:… MLflow puts artifacts in ./mlruns.
    done = subprocess.run([sys.executable, "-c", RUNNER, str(file)], cwd=tmp_path,
                          env=kernel_env(home, uri), capture_output=True, text=True,
                          timeout=180, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["ok"] and facts["papermill"]
    kernel_parent = int((tmp_path / "project" / "out" / "parent.txt").read_text())
    assert kernel_parent == facts["pid"]  # no worker process in between
    assert facts["mlflow"] == []
    assert facts["unused"] == []  # papermill imported without them (see step.py)

    # Everything the runner journaled reaches the store it was given.
    client = store.client(uri or f"sqlite:///{home / 'mlflow.db'}")

    def recorded():
        try:
            runs = {r.info.run_name: r for r in experiment_runs(client, "lean-exp")}
        except AssertionError:  # the experiment is not created yet
            return None
        step = runs.get("first")
        return step if step is not None and step.info.status == "FINISHED" else None

    step = wait_for(recorded, 60, "the step's run in the store")
    assert step.data.metrics["n_squared"] == 9
    assert [a.path for a in client.list_artifacts(step.info.run_id)] == ["notebook"]
    policy = json.loads(client.get_registered_model("lean-model").tags[POLICY_TAG])
    assert policy["thresholds"] == ["accuracy >= 0.5"]


PROBE = """
import json, sys
from mlops_jupyter.pipelines.notebooks import import_papermill

import_papermill()
during = sorted(m for m in ("rfc3987_syntax", "pyarrow.fs") if m in sys.modules)
import jsonschema, nbformat, pyarrow.fs, rfc3987_syntax  # afterwards: importable as usual
nb = nbformat.v4.new_notebook()
nbformat.validate(nb)
print(json.dumps({"during": during, "iri_checked": "iri" in
                  jsonschema.Draft7Validator.FORMAT_CHECKER.checkers}))
"""


def test_papermill_for_steps_leaves_out_unused_modules_only_while_importing():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["during"] == []
    # jsonschema registered its checks without the grammar; notebooks still validate.
    assert facts["iri_checked"] is False


GATED = """
    name: gated
    experiment: gated-exp
    steps:
      - name: promote
        notebook: promote.ipynb
        outputs: {outcome: out/outcome.json}
    gate:
      gated-iris:
        thresholds: ["accuracy >= 0.99"]
"""
PROMOTE = {"promote.ipynb": (None, ["""
    import json, os
    import mlops_jupyter
    outcome = mlops_jupyter.promote("gated-iris", "1", "champion")
    os.makedirs("out", exist_ok=True)
    json.dump({"promoted": outcome["promoted"], "reasons": outcome["verdict"]["reasons"]},
              open("out/outcome.json", "w"))
"""])}


def test_a_step_that_promotes_is_judged_by_the_gate_its_pipeline_declares(
        home, registered, tmp_path):
    """The gate is journaled, not written by the runner: a step promoting at once
    (no register_model before it) still sees it, because promote() first waits for
    the step's run, which the flusher writes after the gate."""
    registered(name="gated-iris", metrics={"accuracy": 0.95})
    file = write_project(tmp_path / "project", GATED, PROMOTE)

    pipeline_run = run(file)

    assert pipeline_run.ok, pipeline_run.steps["promote"].error
    outcome = json.loads((tmp_path / "project" / "out" / "outcome.json").read_text())
    assert outcome["promoted"] is False
    assert any("accuracy" in reason and "0.99" in reason for reason in outcome["reasons"])
