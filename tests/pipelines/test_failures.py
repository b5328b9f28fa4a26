"""Honest statuses for everything that can go wrong in a step.

One pipeline holds every failure kind side by side (plus an independent branch that
succeeds and hostile parameter values); it is run once, through the real CLI, and
each test checks its step in ``status.json``, the output notebooks and the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.magics.helpers import stop_flushers
from tests.pipelines.helpers import cli, write_project

HOSTILE_TEXT = "'; import os; os._exit(3) #\n\"\"\"\\x00"
HOSTILE_CODE = "__import__('os').system('touch PWNED')"

PIPELINE = r"""
    name: failures
    steps:
      - name: ok
        notebook: write.ipynb
        outputs: {o: out/ok.txt}
      - name: bad
        notebook: bad.ipynb
        parameters: {start: 5}
      - name: after_bad
        notebook: write.ipynb
        needs: [bad]
        parameters: {path: out/after_bad.txt}
        outputs: {o: out/after_bad.txt}
      - name: after_after
        notebook: write.ipynb
        needs: [after_bad, ok]
        parameters: {path: out/after_after.txt}
      - name: flaky
        notebook: flaky.ipynb
        retries: 2
      - name: slow
        notebook: slow.ipynb
        timeout: 2
      - name: exits
        notebook: die.ipynb
        parameters: {how: exit}
      - name: killed
        notebook: die.ipynb
        parameters: {how: kill}
      - name: lazy
        notebook: write.ipynb
        parameters: {path: out/elsewhere.txt}
        outputs: {o: out/promised.txt}
      - name: hostile
        notebook: echo.ipynb
        parameters:
          text: "'; import os; os._exit(3) #\n\"\"\"\\x00"
          code: "__import__('os').system('touch PWNED')"
          items: ["a'b", "c\"d", "\\", "{x}"]
          nested: {"k'\n": "v\"\n", "n": [1, null, true]}
        outputs: {o: out/echo.json}
"""
NOTEBOOKS = {
    "write.ipynb": ("path = 'out/ok.txt'", [
        "import os\nos.makedirs(os.path.dirname(path), exist_ok=True)",
        "with open(path, 'w') as f:\n    f.write('done')"]),
    "bad.ipynb": ("start = 0", ["x = start + 1", "raise ValueError(f'boom {x}')",
                                "never = True"]),
    "flaky.ipynb": (None, ["""
        import os
        os.makedirs("markers", exist_ok=True)
        if not os.path.exists("markers/flaky"):
            open("markers/flaky", "w").close()
            raise RuntimeError("first attempt fails")
    """]),
    "slow.ipynb": (None, ["import time\ntime.sleep(60)"]),
    "die.ipynb": ("how = 'exit'", ["""
        import os, signal
        if how == "exit":
            os._exit(1)
        else:
            os.kill(os.getpid(), signal.SIGKILL)
    """]),
    "echo.ipynb": ("text = ''\ncode = ''\nitems = []\nnested = {}", ["""
        import json, os
        os.makedirs("out", exist_ok=True)
        with open("out/echo.json", "w") as f:
            json.dump({"text": text, "code": code, "items": items, "nested": nested}, f)
    """]),
}


@pytest.fixture(scope="module")
def failed(tmp_path_factory):
    """(project, CLI result, status.json) of one run of the failures pipeline."""
    base = tmp_path_factory.mktemp("failures")
    root = base / "project"
    file = write_project(root, PIPELINE, NOTEBOOKS)
    home = base / "home"
    try:
        result = cli("pipeline", "run", str(file), "--run-id", "r1", home=home, cwd=base)
    finally:
        if (home / "spool").is_dir():
            stop_flushers(home / "spool")
    status = json.loads((root / "mlops-runs" / "r1" / "status.json").read_text())
    return root, result, status


def step(failed, name: str) -> dict:
    return next(s for s in failed[2]["steps"] if s["name"] == name)


def output_notebook(failed, name: str) -> nbformat.NotebookNode:
    path = failed[0] / step(failed, name)["output_notebook"]
    return nbformat.read(str(path), as_version=4)


# ----------------------------------------------------------------------------
def test_failing_cell_is_failed_with_its_cell_and_error(failed):
    bad = step(failed, "bad")
    assert bad["status"] == "FAILED"
    assert bad["error"]["ename"] == "ValueError"
    assert bad["error"]["evalue"] == "boom 6"
    # index in the executed notebook: parameters, injected parameters, x = ..., raise
    assert bad["error"]["cell_index"] == 3
    assert bad["error"]["execution_count"] == 4
    assert bad["attempts"] == 1
    nb = output_notebook(failed, "bad")
    markers = [c for c in nb.cells if "papermill-error-cell-tag" in c.metadata.get("tags", [])]
    assert markers, "papermill's error marker is in the kept output notebook"
    raising = next(c for c in nb.cells if "raise ValueError" in c.source)
    assert raising.outputs[-1]["ename"] == "ValueError"
    never = next(c for c in nb.cells if c.source == "never = True")
    assert never.execution_count is None


def test_downstream_of_a_failure_is_skipped_and_independent_branch_finishes(failed):
    root = failed[0]
    assert step(failed, "after_bad")["status"] == "SKIPPED"
    assert "'bad'" in step(failed, "after_bad")["reason"]
    assert step(failed, "after_after")["status"] == "SKIPPED"
    assert step(failed, "after_bad")["output_notebook"] is None
    assert not (root / "out" / "after_bad.txt").exists()
    assert step(failed, "ok")["status"] == "FINISHED"
    assert (root / "out" / "ok.txt").read_text() == "done"
    assert failed[2]["status"] == "FAILED"


def test_cli_exit_code_and_summary(failed):
    root, result, _ = failed
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert "pipeline failures: FAILED" in out
    for name in ("bad", "slow", "exits", "killed", "lazy"):
        assert f"\n  {name}: " in out, f"{name} missing from the summary:\n{out}"
    assert "bad: failed in" in out and "in cell 3: ValueError: boom 6" in out
    assert f"output notebook: {root / 'mlops-runs/r1/bad.ipynb'}" in out
    assert f"run folder: {root / 'mlops-runs/r1'}" in out
    # skipped steps are listed in the live lines, not as failures
    assert "after_bad: " not in out.split("pipeline failures: FAILED")[1]


def test_retries_reach_success_on_the_second_attempt(failed):
    flaky = step(failed, "flaky")
    assert flaky["status"] == "FINISHED", flaky
    assert flaky["attempts"] == 2
    assert flaky["error"] is None
    assert (failed[0] / "markers" / "flaky").exists()


def test_cell_past_the_timeout_is_timed_out(failed):
    slow = step(failed, "slow")
    assert slow["status"] == "TIMED_OUT", slow
    assert slow["duration"] < 45
    assert "timeout" in (slow["error"]["ename"] + slow["error"]["evalue"]).lower()


@pytest.mark.parametrize("name", ["exits", "killed"])
def test_dead_kernel_is_kernel_died(failed, name):
    dead = step(failed, name)
    assert dead["status"] == "KERNEL_DIED", dead
    assert dead["error"]["ename"]
    assert (failed[0] / dead["output_notebook"]).is_file()


def test_missing_declared_output_fails(failed):
    lazy = step(failed, "lazy")
    assert lazy["status"] == "FAILED"
    assert lazy["error"]["ename"] == "MissingOutput"
    assert "o (out/promised.txt)" in lazy["error"]["evalue"]
    assert (failed[0] / "out" / "elsewhere.txt").exists()


def test_hostile_parameter_values_arrive_as_inert_strings(failed):
    root = failed[0]
    assert step(failed, "hostile")["status"] == "FINISHED", step(failed, "hostile")
    echoed = json.loads((root / "out" / "echo.json").read_text())
    assert echoed == {"text": HOSTILE_TEXT, "code": HOSTILE_CODE,
                      "items": ["a'b", 'c"d', "\\", "{x}"],
                      "nested": {"k'\n": 'v"\n', "n": [1, None, True]}}
    assert not list(Path(root).rglob("PWNED"))
    assert not (Path.cwd() / "PWNED").exists()


def test_failed_steps_are_not_cached(failed):
    entries = json.loads((failed[0] / ".mlops" / "state.json").read_text())["entries"]
    assert sorted(e["step"] for e in entries.values()) == ["flaky", "hostile", "ok"]


def test_retried_step_says_which_attempt_succeeded(failed):
    assert step(failed, "flaky")["reason"] == "succeeded on attempt 2"
