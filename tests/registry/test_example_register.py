"""The example pipeline's register step when the random forest wins: registered, promoted
through the gate (which scores it against the evaluation data) and scored by ``score``."""

from __future__ import annotations

import json
import shutil

from tests.magics.helpers import REPO_ROOT
from tests.pipelines.helpers import isolated_home, run, statuses

EXAMPLE = REPO_ROOT / "example_notebooks" / "pipeline"
GENERATED = ("data", "models", "reports", "predictions", ".mlops", "mlops-runs")


def test_example_registers_promotes_and_scores_the_forest_when_it_wins(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "example", ignore=shutil.ignore_patterns(*GENERATED))
    # A logistic regression this regularised predicts the majority class: by accuracy
    # the forest is the best scikit-learn model (the MLP is kept short, it is not
    # a candidate of the register step).
    overrides = {"train_logreg": {"C": 1e-6}, "train_mlp": {"epochs": 20},
                 "evaluate": {"select_by": "accuracy"}}
    with isolated_home(tmp_path / "home"):
        result = run(tmp_path / "example" / "pipeline.yaml", overrides=overrides)
    assert statuses(result) == dict.fromkeys(statuses(result), "FINISHED"), {
        name: state.error for name, state in result.steps.items()}
    note = json.loads((tmp_path / "example" / "reports" / "registered.json").read_text())
    assert note["chosen"] == "forest" and note["version"] == "1" and note["promoted"], note
    predictions = (tmp_path / "example" / "predictions" / "scores.csv").read_text().splitlines()
    test_rows = (tmp_path / "example" / "data" / "test.csv").read_text().splitlines()
    assert predictions[0] == "row,prediction" and len(predictions) == len(test_rows)
