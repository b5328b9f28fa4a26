"""``mlops runs compare`` and ``mlops runs diff`` on a real store."""

from __future__ import annotations

import json

import pytest

from mlops_jupyter.cli import main

from .helpers import log_notebook, make_run, notebook_json


@pytest.fixture
def runs(mlops_home, tmp_path):
    ids = []
    for index, (model, seed, score) in enumerate(
            [("forest", "1", 0.9), ("forest", "2", 0.94), ("boost", "1", 0.8)]):
        run_id = make_run(name=f"{model}-{seed}", params={"model": model, "seed": seed,
                                                          "data": "v1"},
                          metrics={"accuracy": score, "rmse": 1 - score},
                          tags={"mlops.kind": "session", "mlops.env.numpy": f"1.{index}"})
        log_notebook(run_id, notebook_json(["import x", f"fit(C={index})\nscore()"]),
                     tmp_path / str(index))
        ids.append(run_id)
    return ids


def test_compare_text_table_with_groups(runs, capsys):
    assert main(["runs", "compare", *runs, "--group-except", "seed"]) == 0
    out = capsys.readouterr().out

    assert "3 runs (* baseline)" in out
    assert "params that differ:" in out and "forest-1 *" in out
    assert "(1 identical param not shown)" in out
    assert "accuracy ↑" in out and "rmse ↓" in out
    assert "0.94 (+0.04) best" in out
    assert "groups by model:" in out
    assert "forest  2  0.92 ± 0.028 (2)" in out


def test_compare_json(runs, capsys):
    assert main(["runs", "compare", *runs, "--baseline", runs[2], "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["baseline"] == 2 and len(result["runs"]) == 3


@pytest.mark.parametrize(("argv", "mentions"), [
    (["runs", "compare", "abc"], "at least 2"),
    (["runs", "compare", "abc", "abc"], "listed twice"),
    (["runs", "compare", "abc", "d/e"], "not a run id"),
    (["runs", "compare", "a", "b", "--group-by", "x", "--group-except", "y"], "not allowed"),
    (["runs", "compare", "a", "b", "--group-by", ","], "at least one param"),
    (["runs", "diff", "abc"], "RUN_B"),
])
def test_bad_input_exits_2_with_one_line(mlops_home, capsys, argv, mentions):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and mentions in err


def test_unknown_run_exits_2(mlops_home, runs, capsys):
    assert main(["runs", "compare", runs[0], "f" * 32]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_diff_text_and_json(runs, capsys):
    assert main(["runs", "diff", runs[0], runs[1]]) == 0
    out = capsys.readouterr().out
    assert "notebook train.ipynb ↔ train.ipynb: 1 unchanged, 1 changed" in out
    assert "-fit(C=0)\n+fit(C=1)\n score()" in out
    assert "seed: 1 → 2 (changed)" in out and "(2 equal)" in out
    assert "numpy: 1.0 → 1.1" in out
    assert "accuracy: 0.9 → 0.94 (+0.04)" in out

    assert main(["runs", "diff", runs[0], runs[1], "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["notebook"]["cells"][1]["status"] == "changed"
