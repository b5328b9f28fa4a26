"""``mlops runs list|show`` end to end, as a subprocess, over a real seeded store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import SEED_EXPERIMENT
from tests.magics.helpers import REPO_ROOT


def mlops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlops_jupyter.cli", "runs", *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def test_list_top_level_children_and_search(seed_runs):
    top = mlops("list", "--experiment", SEED_EXPERIMENT, "--json")
    assert top.returncode == 0, top.stderr
    assert [run["run_id"] for run in json.loads(top.stdout)["runs"]] == [
        seed_runs.session_run_id]
    text = mlops("list", "--experiment", seed_runs.experiment_id)
    assert "4 children" in text.stdout and seed_runs.session_run_id in text.stdout

    found = mlops("list", "--experiment", SEED_EXPERIMENT, "--filter",
                  "metrics.accuracy > 0.9", "--json")
    assert [run["run_name"] for run in json.loads(found.stdout)["runs"]] == ["train"]
    ordered = mlops("list", "--experiment", SEED_EXPERIMENT, "--parent",
                    seed_runs.session_run_id, "--order-by", "run_name ASC")
    assert ordered.returncode == 0 and "evaluate" in ordered.stdout
    assert ordered.stdout.index("evaluate") < ordered.stdout.index("  train")


def test_show_a_run(seed_runs):
    shown = mlops("show", seed_runs.cell_run_ids[2])
    assert shown.returncode == 0, shown.stderr
    assert "evaluate" in shown.stdout and "ZeroDivisionError: division by zero" in shown.stdout
    as_json = json.loads(mlops("show", seed_runs.cell_run_ids[1], "--json").stdout)
    assert as_json["params"] == {"C": "0.5", "penalty": "l2"}
    assert as_json["parent"]["run_id"] == seed_runs.session_run_id


def test_bad_input_is_one_line_and_exit_2(seed_runs):
    for args in (("list", "--experiment", SEED_EXPERIMENT, "--filter", "accuracy >"),
                 ("list", "--experiment", "nope"),
                 ("list", "--experiment", SEED_EXPERIMENT, "--order-by", "duration"),
                 ("show", "0" * 32), ("show", "../x")):
        result = mlops(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("mlops: error: ") and result.stderr.count("\n") == 1
