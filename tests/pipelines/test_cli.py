"""``mlops pipeline run|show|init`` end to end, as a user types them (subprocesses)."""

from __future__ import annotations

import json

import pytest
import yaml

from mlops_jupyter.pipelines.spec import load_spec
from tests.pipelines.helpers import cli, isolated_home, write_notebook


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """A folder of notebooks, ``init`` run on them, then ``run`` of the result."""
    base = tmp_path_factory.mktemp("cli")
    root = base / "my project"
    write_notebook(root / "make.ipynb", "count = 3\nword = 'hi'\nwhen = __import__('time').time()",
                   [("import os\nos.makedirs('out', exist_ok=True)\n"
                    "open('out/words.txt', 'w').write(' '.join([word] * count))")])
    write_notebook(root / "nb" / "use.ipynb", "path = 'out/words.txt'",
                   ["print(open(path).read().upper())"])
    write_notebook(root / "free.ipynb", None, ["print('no parameters')"])
    home = base / "home"
    with isolated_home(home):
        init = cli("pipeline", "init", "make.ipynb", "nb/use.ipynb", "free.ipynb",
                   "--name", "words", home=home, cwd=root)
        ran = cli("pipeline", "run", "pipeline.yaml", "--run-id", "first", home=home, cwd=root)
    return root, home, init, ran


def one_line_error(result, *words: str, code: int | None = None) -> str:
    """The single stderr line of a failed command, checked."""
    assert result.returncode != 0, result.stdout
    if code is not None:
        assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mlops: error: "), lines
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ----------------------------------------------------------------------- help
@pytest.mark.parametrize(("args", "words"), [
    (["pipeline", "--help"], ["run", "show", "history", "init"]),
    (["pipeline", "history", "--help"], ["--limit", "--json"]),
    (["pipeline", "run", "--help"], ["--param", "--executor", "--dask-scheduler", "--force",
                                     "--only", "--from", "--max-parallel", "--json"]),
    (["pipeline", "show", "--help"], ["--json"]),
    (["pipeline", "init", "--help"], ["--out", "--name", "--force"]),
])
def test_help(tmp_path, args, words):
    result = cli(*args, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout


# ----------------------------------------------------------------------- init
def test_init_writes_a_valid_starter_pipeline(initialised):
    root, _, init, _ = initialised
    assert init.returncode == 0, init.stderr
    assert "wrote pipeline.yaml with 3 step(s)" in init.stdout
    text = (root / "pipeline.yaml").read_text()
    assert "# make: when = __import__('time').time() (not a literal" in text
    assert "# free: no cell tagged 'parameters'" in text
    document = yaml.safe_load(text)
    assert document["name"] == "words"
    assert [s["name"] for s in document["steps"]] == ["make", "use", "free"]
    spec = load_spec(root / "pipeline.yaml")
    assert spec.steps["make"].parameters == {"count": 3, "word": "hi"}
    assert spec.steps["use"].needs == ("make",) and spec.steps["free"].needs == ("use",)
    assert spec.relative(spec.steps["use"].notebook) == "nb/use.ipynb"


def test_run_of_the_initialised_pipeline_works(initialised):
    root, _, _, ran = initialised
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "pipeline words: 3 step(s), executor local" in ran.stdout
    assert "pipeline words: FINISHED" in ran.stdout and "3 done" in ran.stdout
    assert (root / "out" / "words.txt").read_text() == "hi hi hi"
    status = json.loads((root / "mlops-runs" / "first" / "status.json").read_text())
    assert [s["status"] for s in status["steps"]] == ["FINISHED"] * 3


def test_init_refuses_to_overwrite_and_outside_notebooks(initialised, tmp_path):
    root, home, _, _ = initialised
    one_line_error(cli("pipeline", "init", "make.ipynb", home=home, cwd=root),
                   "already exists", "--force", code=2)
    write_notebook(tmp_path / "elsewhere.ipynb", "x = 1", [])
    one_line_error(cli("pipeline", "init", str(tmp_path / "elsewhere.ipynb"), "--out",
                       "other.yaml", home=home, cwd=root), "is not inside", code=2)
    one_line_error(cli("pipeline", "init", "nope.ipynb", "--out", "other.yaml",
                       home=home, cwd=root), "nope.ipynb", code=2)
    assert not (root / "other.yaml").exists()


# ----------------------------------------------------------------------- show
def test_show_text_and_json(initialised):
    root, home, _, _ = initialised
    text = cli("pipeline", "show", "pipeline.yaml", home=home, cwd=root)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "pipeline words (pipeline.yaml), experiment 'words'"
    assert any(l.split()[:2] == ["use", "cached"] and "FINISHED" in l and "nb/use.ipynb ← make"
               in l for l in lines), text.stdout
    assert lines[-1].startswith("last run first: FINISHED")

    file = root / "pipeline.yaml"
    original = file.read_text()
    assert "word: hi" in original
    file.write_text(original.replace("word: hi", "word: ho"))
    try:
        result = cli("pipeline", "show", "pipeline.yaml", "--json", home=home, cwd=root)
    finally:
        file.write_text(original)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pipeline"] == "words" and data["last_run"]["run_id"] == "first"
    rows = {row["name"]: row for row in data["steps"]}
    assert rows["make"]["cache"] == "will run"  # its parameter changed
    assert rows["use"]["cache"] == "cached"     # make declares no outputs (init's default)
    assert rows["free"]["cache"] == "cached"
    assert rows["use"]["needs"] == ["make"] and rows["make"]["outputs"] == {}
    assert rows["make"]["last_status"] == "FINISHED"
    assert rows["make"]["last_output_notebook"] == "mlops-runs/first/make.ipynb"


def test_history_text_and_json(initialised):
    root, home, _, _ = initialised
    text = cli("pipeline", "history", "pipeline.yaml", home=home, cwd=root)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "pipeline words: 1 run(s), newest first"
    assert lines[1].split()[:3] == ["first", "FINISHED", "manual"], lines

    result = cli("pipeline", "history", "pipeline.yaml", "--json", "--limit", "5",
                 home=home, cwd=root)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (run,) = data["runs"]
    assert (run["run_id"], run["status"], run["trigger"]) == ("first", "FINISHED", "manual")
    assert run["failed"] == 0 and run["ok"] + run["cached"] == run["steps_total"]
    assert data["limit"] == 5 and data["has_more"] is False

    one_line_error(cli("pipeline", "history", "pipeline.yaml", "--limit", "0", home=home,
                       cwd=root), "--limit must be 1-50", code=2)


def test_show_before_any_run(tmp_path):
    write_notebook(tmp_path / "a.ipynb", "x = 1", [])
    (tmp_path / "pipeline.yaml").write_text("name: fresh\nsteps:\n  - {name: a, notebook: a.ipynb}\n")
    result = cli("pipeline", "show", "pipeline.yaml", home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "will run" in result.stdout and result.stdout.strip().endswith("never run")


# --------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    for action in ("run", "show"):
        one_line_error(cli("pipeline", action, "nope.yaml", home=tmp_path / "home",
                           cwd=tmp_path), "no pipeline file 'nope.yaml'")


@pytest.mark.parametrize(("args", "words"), [
    (["--param", "nodot=1"], ["--param 'nodot=1': expected STEP.NAME=VALUE"]),
    (["--param", "ghost.x=1"], ["unknown step 'ghost'"]),
    (["--param", "make.count=many"], ["step 'make'.parameters.count: expects int, got str"]),
    (["--only", "ghost"], ["unknown step 'ghost'"]),
    (["--only", "make", "--from", "use"], ["not both"]),
    (["--executor", "spark"], ["invalid choice"]),
    (["--max-parallel", "0"], ["at least 1"]),
    (["--run-id", "../x"], ["--run-id"]),
])
def test_bad_run_options(initialised, args, words):
    root, home, _, _ = initialised
    result = cli("pipeline", "run", "pipeline.yaml", "--force", *args, home=home, cwd=root)
    one_line_error(result, *words, code=2)
    assert not (root / "mlops-runs" / "x").exists()


def test_spec_errors_are_one_line(tmp_path):
    write_notebook(tmp_path / "a.ipynb", "x = 1", [])
    (tmp_path / "pipeline.yaml").write_text(
        "name: bad\nsteps:\n  - {name: a, notebook: a.ipynb, needs: [b], bogus: 1}\n"
        "  - {name: a, notebook: '../a.ipynb', parameters: {\"x=1\\nimport os\": 1}}\n")
    for action in ("run", "show"):
        line = one_line_error(cli("pipeline", action, "pipeline.yaml", home=tmp_path / "home",
                                  cwd=tmp_path), "pipeline.yaml: 3 problem(s)", code=2)
        assert "step 'a'.bogus: unknown field" in line
        assert "step 'a'.needs: unknown step 'b'" in line
        assert "duplicate step name" in line
    (tmp_path / "broken.yaml").write_text("name: x\nsteps: [\n")
    one_line_error(cli("pipeline", "run", "broken.yaml", home=tmp_path / "home", cwd=tmp_path),
                   "broken.yaml", "line 3", code=2)
    assert not (tmp_path / "mlops-runs").exists()
