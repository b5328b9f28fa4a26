"""``mlops demo``: a failing step is named, the steps it blocks are named as skipped,
the exit code is non-zero, and no line is printed twice."""

from __future__ import annotations

import collections
import subprocess
import sys

import pytest

from mlops_jupyter.demo import Step, describe_error, run_steps
from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.pipelines.spec import load_spec
from tests.magics.helpers import kernel_env, stop_flushers
from tests.pipelines.helpers import write_notebook, write_project


def test_a_failed_step_skips_what_needs_it_and_says_so(tmp_path):
    lines: list[str] = []
    ran: list[str] = []

    def broken_pipeline():
        load_spec(tmp_path / "missing" / "pipeline.yaml")  # a real UsageError

    steps = [
        Step("train", "t", lambda: ran.append("train")),
        Step("pipeline", "p", broken_pipeline),
        Step("register", "r", lambda: ran.append("register"), needs=("pipeline",)),
        Step("drift", "d", lambda: ran.append("drift"), needs=("register",)),
        Step("report", "independent of the pipeline", lambda: ran.append("report")),
        Step("dashboard", "b", lambda: "nothing to publish", needs=("train",)),
    ]
    outcome = run_steps(steps, emit=lines.append)
    assert ran == ["train", "report"]
    assert list(outcome.failed) == ["pipeline", "dashboard"] and not outcome.ok
    assert outcome.skipped == ["register", "drift"]
    text = "\n".join(lines)
    assert "[2/6] pipeline: p\n      FAILED: " in text
    assert "[3/6] register: SKIPPED — needs pipeline, which did not complete" in text
    assert "[4/6] drift: SKIPPED — needs register, which did not complete" in text
    assert "[6/6] dashboard: b\n      FAILED: nothing to publish" in text
    closing = outcome.closing_line()
    assert closing.startswith("mlops demo: FAILED — step pipeline failed (no pipeline file")
    assert closing.endswith("; step dashboard failed (nothing to publish); "
                            "skipped: register, drift")
    assert run_steps(steps[:1], emit=lines.append).closing_line() is None


def test_errors_are_described_in_one_line():
    assert describe_error(UsageError("bad thing\nsecond line")) == "bad thing"
    assert describe_error(KeyError("k")) == "KeyError: 'k'"


@pytest.fixture
def broken_demo(tmp_path):
    """A notebooks folder: a tracked notebook that works, a pipeline whose step raises."""
    notebooks = tmp_path / "notebooks"
    write_notebook(notebooks / "01_track.ipynb", None, [
        "%load_ext mlops_jupyter\n%mlops track",
        "import mlops_jupyter\naccuracy = 0.9\nmlops_jupyter.log_metric('accuracy', accuracy)",
        "%mlops stop\n%mlops flush --timeout 60"])
    write_project(notebooks / "pipeline", """
        name: broken
        steps:
          - name: boom
            notebook: boom.ipynb
    """, {"boom.ipynb": (None, ["raise ValueError('broken on purpose')"])})
    yield notebooks
    stop_flushers(tmp_path / "home" / "spool")


@pytest.mark.parametrize("other_store", [False, True], ids=["embedded", "tracking-uri"])
def test_demo_with_a_failing_pipeline_step_exits_nonzero_and_names_the_skipped(
        broken_demo, tmp_path, other_store):
    home = tmp_path / "home"
    uri = f"sqlite:///{tmp_path / 'other' / 'mlflow.db'}" if other_store else None
    (tmp_path / "other").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "mlops_jupyter.cli", "demo", "--notebooks", str(broken_demo),
         "--no-serve"], cwd=tmp_path, env=kernel_env(home, tracking_uri=uri),
        capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "[1/8] train: executing 01_track.ipynb with %mlops track" in out
    assert "cell runs, 0 failed; accuracy 0.900" in out
    assert ("      FAILED: pipeline step boom failed in " in out
            and "ValueError: broken on purpose" in out)
    for number, name, needs in ((3, "register", "pipeline"), (4, "serve", "register"),
                                (5, "traffic", "serve"), (6, "drift", "traffic"),
                                (7, "switch", "drift"), (8, "dashboard", "drift")):
        assert f"[{number}/8] {name}: SKIPPED — needs {needs}, which did not complete" in out
    closing = out.splitlines()[-1]  # the last line, after the "Next:" hints
    assert closing.startswith("mlops demo: FAILED — step pipeline failed (pipeline step "
                                 "boom failed in ")
    assert closing.endswith("; skipped: register, serve, traffic, drift, switch, dashboard")
    assert "Traceback" not in done.stderr
    repeated = [line for line, count in collections.Counter(
        (out + done.stderr).splitlines()).items() if count > 1 and line.strip()]
    assert repeated == []
