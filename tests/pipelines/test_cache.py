"""The cache hit/miss matrix, through real runs of a two-step pipeline.

A reads its parameter and an input file and writes ``out/a.txt`` (which also carries
a version constant from its code); B reads A's output and writes ``out/b.txt``. One
module-scoped run makes a warm project; each test copies it (outputs, ``.mlops``
state and all) and runs only what it expects to run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from mlops_jupyter import config
from mlops_jupyter.pipelines.overrides import parse_overrides
from mlops_jupyter.pipelines.spec import load_spec
from tests.pipelines.helpers import (
    isolated_home,
    run,
    status_json,
    status_json_statuses,
    statuses,
    write_project,
)

PIPELINE = """
    name: cachetest
    steps:
      - name: A
        notebook: a.ipynb
        parameters: {scale: 1}
        inputs: [data/raw.txt]
        outputs: {result: out/a.txt}
      - name: B
        notebook: b.ipynb
        parameters: {source: "${steps.A.outputs.result}"}
        outputs: {result: out/b.txt}
"""
A_PARAMETERS = "scale = 1"
A_BODY = [
    "import os\nVERSION = 1",
    """
    raw = open("data/raw.txt").read().strip()
    os.makedirs("out", exist_ok=True)
    with open("out/a.txt", "w") as f:
        f.write(f"v{VERSION} scale={scale} raw={raw}")
    """,
]
B_PARAMETERS = "source = 'out/a.txt'\nsuffix = '!'"
B_BODY = ["""
    with open(source) as f:
        text = f.read()
    with open("out/b.txt", "w") as f:
        f.write(text.upper() + suffix)
"""]

BOTH_CACHED = {"A": "CACHED", "B": "CACHED"}
BOTH_RAN = {"A": "FINISHED", "B": "FINISHED"}


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """A project after one successful run, and that run."""
    base = tmp_path_factory.mktemp("cache-warm")
    root = base / "project"
    write_project(root, PIPELINE, {"a.ipynb": (A_PARAMETERS, A_BODY),
                                   "b.ipynb": (B_PARAMETERS, B_BODY)})
    (root / "data").mkdir()
    (root / "data" / "raw.txt").write_text("hello")
    with isolated_home(base / "home"):
        first = run(root / "pipeline.yaml")
    return root, first


@pytest.fixture
def project(warm, tmp_path, home, monkeypatch) -> Path:
    """A copy of the warm project, in this test's own home but the warm run's store
    (cached results are only reused in the store that recorded them)."""
    root = tmp_path / "project"
    shutil.copytree(warm[0], root, symlinks=True)
    monkeypatch.setenv(config.TRACKING_URI_ENV,
                       f"sqlite:///{warm[0].parent / 'home' / 'mlflow.db'}")
    return root


def read(root: Path, name: str) -> str:
    return (root / "out" / name).read_text()


def assert_statuses(pipeline_run, expected: dict[str, str]) -> None:
    assert statuses(pipeline_run) == expected
    assert status_json_statuses(pipeline_run) == expected
    assert status_json(pipeline_run)["status"] == ("FINISHED" if pipeline_run.ok else "FAILED")


def edit_a_code(root: Path, old: str, new: str) -> None:
    nb = nbformat.read(str(root / "a.ipynb"), as_version=4)
    cell = next(c for c in nb.cells if old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, str(root / "a.ipynb"))


# ----------------------------------------------------------------------------
def test_first_run_executes_both_and_records_the_cache(warm):
    root, first = warm
    assert_statuses(first, BOTH_RAN)
    assert first.ok and first.status == "FINISHED"
    assert read(root, "a.txt") == "v1 scale=1 raw=hello"
    assert read(root, "b.txt") == "V1 SCALE=1 RAW=HELLO!"
    for name in ("A", "B"):
        state = first.steps[name]
        assert state.attempts == 1 and state.cache_key
        assert (root / state.output_notebook).is_file()
        assert state.output_notebook == f"mlops-runs/{first.run_id}/{name}.ipynb"
        assert all(state.output_hashes.values())
    entries = json.loads((root / ".mlops" / "state.json").read_text())["entries"]
    assert {e["step"] for e in entries.values()} == {"A", "B"}


def test_rerun_is_fully_cached(project, warm):
    again = run(project / "pipeline.yaml")
    assert_statuses(again, BOTH_CACHED)
    assert again.ok
    first = warm[1]
    for name in ("A", "B"):
        assert again.steps[name].cached_from["pipeline_run"] == first.run_id
        assert again.steps[name].cached_from["run_key"] == first.steps[name].run_key
        assert again.steps[name].output_notebook == first.steps[name].output_notebook
        assert again.steps[name].cache_key == first.steps[name].cache_key
    assert not (again.run_dir / "A.ipynb").exists()
    saved = status_json(again)
    assert [s["cached_from"]["pipeline_run"] for s in saved["steps"]] == [first.run_id] * 2


def test_another_tracking_store_reruns_everything(warm, tmp_path, home):
    root = tmp_path / "project"
    shutil.copytree(warm[0], root, symlinks=True)
    assert_statuses(run(root / "pipeline.yaml"), BOTH_RAN)  # this test's own store


def test_cosmetic_notebook_changes_keep_the_cache(project):
    path = project / "a.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    for count, cell in enumerate(nb.cells, 1):
        cell.execution_count = count * 7
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="old output\n"),
                        nbformat.v4.new_output("execute_result", data={"text/plain": "42"},
                                               execution_count=count)]
        cell.id = f"renamed-{count}"
        cell.metadata["collapsed"] = True
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), "reviewed"]
        cell.metadata["jupyter"] = {"source_hidden": True}
        cell.source = cell.source + "\n\n"  # trailing blank lines from an editor
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.0"}
    nb.metadata["widgets"] = {"state": {}}
    text = json.dumps(nbformat.from_dict(nb), indent=4)
    path.write_text(text)
    assert nbformat.read(str(path), as_version=4).cells[0].metadata["tags"] == [
        "parameters", "reviewed"]
    assert_statuses(run(project / "pipeline.yaml"), BOTH_CACHED)


def test_code_change_reruns_the_step_and_its_dependents(project):
    edit_a_code(project, "VERSION = 1", "VERSION = 2")
    changed = run(project / "pipeline.yaml")
    assert_statuses(changed, BOTH_RAN)
    assert read(project, "b.txt") == "V2 SCALE=1 RAW=HELLO!"
    # and the new results are cached in turn
    assert_statuses(run(project / "pipeline.yaml"), BOTH_CACHED)


def test_code_change_with_identical_output_keeps_dependents_cached(project):
    nb = nbformat.read(str(project / "a.ipynb"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("unused = 'no effect on out/a.txt'"))
    nbformat.write(nb, str(project / "a.ipynb"))
    before = (project / "out" / "a.txt").stat().st_mtime_ns
    again = run(project / "pipeline.yaml")
    assert_statuses(again, {"A": "FINISHED", "B": "CACHED"})
    assert (project / "out" / "a.txt").stat().st_mtime_ns != before  # A did write it again
    assert read(project, "a.txt") == "v1 scale=1 raw=hello"


def test_parameter_change_in_yaml_reruns(project):
    file = project / "pipeline.yaml"
    file.write_text(file.read_text().replace("{scale: 1}", "{scale: 2}"))
    assert_statuses(run(file), BOTH_RAN)
    assert read(project, "b.txt") == "V1 SCALE=2 RAW=HELLO!"


def test_parameter_override_reruns_only_what_it_changes(project):
    spec = load_spec(project / "pipeline.yaml")
    same = parse_overrides(["A.scale=1"], spec)  # the value the yaml already has
    assert_statuses(run(project / "pipeline.yaml", overrides=same), BOTH_CACHED)
    changed = run(project / "pipeline.yaml", overrides=parse_overrides(["B.suffix=?!"], spec))
    assert_statuses(changed, {"A": "CACHED", "B": "FINISHED"})
    assert changed.steps["B"].parameters == {"source": "out/a.txt", "suffix": "?!"}
    assert read(project, "b.txt") == "V1 SCALE=1 RAW=HELLO?!"


def test_input_change_reruns(project):
    (project / "data" / "raw.txt").write_text("changed")
    assert_statuses(run(project / "pipeline.yaml"), BOTH_RAN)
    assert read(project, "b.txt") == "V1 SCALE=1 RAW=CHANGED!"


def test_deleted_upstream_output_reruns_upstream_only(project):
    (project / "out" / "a.txt").unlink()
    # A writes the same content again, so B's inputs did not change
    assert_statuses(run(project / "pipeline.yaml"), {"A": "FINISHED", "B": "CACHED"})
    assert read(project, "a.txt") == "v1 scale=1 raw=hello"


def test_modified_downstream_output_reruns_it(project):
    (project / "out" / "b.txt").write_text("edited by hand")
    assert_statuses(run(project / "pipeline.yaml"), {"A": "CACHED", "B": "FINISHED"})
    assert read(project, "b.txt") == "V1 SCALE=1 RAW=HELLO!"


def test_force_reruns_everything(project):
    forced = run(project / "pipeline.yaml", force=True)
    assert_statuses(forced, BOTH_RAN)
    assert all(forced.steps[n].cached_from is None for n in ("A", "B"))


def test_only_downstream_step_uses_present_upstream_outputs(project):
    only = run(project / "pipeline.yaml", only=["B"])
    assert_statuses(only, {"A": "NOT_SELECTED", "B": "CACHED"})
    assert only.selected == ["B"] and status_json(only)["selected"] == ["B"]
    # an upstream output changed by hand is what B reads: B runs, A still does not
    (project / "out" / "a.txt").write_text("v9 hand made")
    again = run(project / "pipeline.yaml", only=["B"])
    assert_statuses(again, {"A": "NOT_SELECTED", "B": "FINISHED"})
    assert read(project, "a.txt") == "v9 hand made"
    assert read(project, "b.txt") == "V9 HAND MADE!"


def test_from_selects_the_step_and_downstream(project):
    from_a = run(project / "pipeline.yaml", from_step="A")
    assert from_a.selected == ["A", "B"]
    assert_statuses(from_a, BOTH_CACHED)
    before = (project / "out" / "a.txt").stat().st_mtime_ns
    from_b = run(project / "pipeline.yaml", from_step="B", force=True)
    assert from_b.selected == ["B"]
    assert_statuses(from_b, {"A": "NOT_SELECTED", "B": "FINISHED"})
    assert (project / "out" / "a.txt").stat().st_mtime_ns == before
