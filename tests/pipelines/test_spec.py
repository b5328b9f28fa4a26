"""pipeline.yaml validation: every problem at once, each naming its step and field.

No kernel starts here; ``PipelineRun.validate()`` only inspects notebooks (papermill's
parameter inspection), and ``parse_overrides`` only parses words.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.pipelines.overrides import parse_overrides
from mlops_jupyter.pipelines.runner import PipelineRun, RunOptions
from mlops_jupyter.pipelines.spec import SpecError, load_spec
from tests.pipelines.helpers import write_notebook


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with two notebooks, a text file and a symlink leaving it."""
    root = tmp_path / "project"
    write_notebook(root / "a.ipynb", "x = 1\nrate: float = 0.5\nname = 'n'", ["print(x)"])
    write_notebook(root / "b.ipynb", "y = 2", ["print(y)"])
    write_notebook(root / "plain.ipynb", None, ["print('no parameters cell')"])
    (root / "notes.txt").write_text("not a notebook")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.ipynb").write_text("{}")
    os.symlink(outside, root / "escape")
    return root


def errors_of(project: Path, text: str) -> list[str]:
    """The errors of pipeline ``text`` (dedented), asserting there are some."""
    file = project / "pipeline.yaml"
    file.write_text(textwrap.dedent(text).lstrip())
    with pytest.raises(SpecError) as caught:
        load_spec(file)
    error = caught.value
    assert error.errors, "a SpecError lists its problems"
    assert "\n" not in str(error), "the message is one line"
    assert str(error).startswith(f"pipeline.yaml: {len(error.errors)} problem(s): ")
    return error.errors


def has(errors: list[str], where: str, *words: str) -> bool:
    return any(e.startswith(where + ":") and all(w in e for w in words) for e in errors)


def assert_has(errors: list[str], where: str, *words: str) -> None:
    assert has(errors, where, *words), f"no error at {where!r} with {words}: {errors}"


# ---------------------------------------------------------------- structure
def test_every_structural_problem_is_reported_at_once(project):
    errors = errors_of(project, """
        name: p
        colour: blue
        defaults: {timeout: 5, bogus: 1}
        steps:
          - {name: a, notebook: a.ipynb, outputs: {o: out/x.txt}, extra: 1}
          - {name: a, notebook: b.ipynb}
          - {name: missing, notebook: nope.ipynb}
          - {name: text, notebook: notes.txt}
          - {name: writer2, notebook: b.ipynb, outputs: {o2: ./out/x.txt}}
          - {name: selfish, notebook: b.ipynb, needs: [selfish]}
          - {name: orphan, notebook: b.ipynb, needs: [ghost]}
          - {name: c1, notebook: b.ipynb, needs: [c2]}
          - {name: c2, notebook: b.ipynb, needs: [c1]}
          - {name: typed, notebook: b.ipynb, retries: "2", timeout: "10s"}
    """)
    assert_has(errors, "colour", "unknown field")
    assert_has(errors, "defaults.bogus", "unknown field")
    assert_has(errors, "step 'a'.extra", "unknown field")
    assert_has(errors, "step 'a'.name", "duplicate step name")
    assert_has(errors, "step 'missing'.notebook", "'nope.ipynb'", "does not exist")
    assert_has(errors, "step 'text'.notebook", "'notes.txt'", "not a .ipynb")
    assert_has(errors, "step 'writer2'.outputs.o2", "also written by step 'a'")
    assert_has(errors, "step 'selfish'.needs", "cannot need itself")
    assert_has(errors, "step 'orphan'.needs", "unknown step 'ghost'")
    assert_has(errors, "steps", "dependency cycle", "c1", "c2")
    assert_has(errors, "step 'typed'.retries", "whole number")
    assert_has(errors, "step 'typed'.timeout", "number")
    assert len(errors) == 12, errors  # each problem once, nothing else


@pytest.mark.parametrize(("field", "value", "words"), [
    ("retries", "1.5", ("whole number",)),
    ("retries", "-1", ("whole number", ">= 0")),
    ("retries", "true", ("whole number",)),
    ("retries", "'2'", ("whole number",)),
    ("timeout", "0", ("number", ">= 1")),
    ("timeout", "'10s'", ("number",)),
    ("timeout", "false", ("number",)),
    ("timeout", ".nan", ("number",)),
    ("timeout", ".inf", ("number",)),
    ("strict_parameters", "'no'", ("true or false",)),
    ("kernel", "''", ("kernel name",)),
])
def test_bad_step_field_types(project, field, value, words):
    errors = errors_of(project, f"""
        name: p
        steps:
          - {{name: a, notebook: a.ipynb, {field}: {value}}}
    """)
    assert errors == [e for e in errors if e.startswith(f"step 'a'.{field}:")]
    assert_has(errors, f"step 'a'.{field}", *words)


def test_bad_defaults_are_reported_for_each_step(project):
    errors = errors_of(project, """
        name: p
        defaults: {retries: many}
        steps:
          - {name: a, notebook: a.ipynb}
          - {name: b, notebook: b.ipynb}
    """)
    assert_has(errors, "step 'a'.retries")
    assert_has(errors, "step 'b'.retries")


def test_top_level_requirements(project):
    errors = errors_of(project, """
        name: "has space"
        experiment: ""
        steps: []
    """)
    assert_has(errors, "name", "required")
    assert_has(errors, "experiment", "non-empty")
    assert_has(errors, "steps", "non-empty list")


# --------------------------------------------------------------- parameters
def test_hostile_and_non_identifier_parameter_names(project):
    errors = errors_of(project, """
        name: p
        defaults: {parameters: {"bad name": 1}}
        steps:
          - name: a
            notebook: a.ipynb
            parameters: {"x=1\\nimport os": 1, "class": 2, "None": 3, "1x": 4, x: 5}
    """)
    assert_has(errors, "defaults.parameters.'bad name'", "identifiers")
    assert_has(errors, "step 'a'.parameters.'x=1\\nimport os'", "identifiers")
    assert_has(errors, "step 'a'.parameters.class", "not keywords")
    assert_has(errors, "step 'a'.parameters.None", "not keywords")
    assert_has(errors, "step 'a'.parameters.1x", "identifiers")
    assert not any(".parameters.x:" in e for e in errors), errors
    assert len(errors) == 5, errors


@pytest.mark.parametrize(("value", "kind"), [
    ("2024-01-01", "date"),
    ("!!timestamp 2024-01-01 10:00:00", "datetime"),
    ("!!set {a: null, b: null}", "set"),
    (".nan", "float"),
    ("-.inf", "float"),
    ("!!binary aGVsbG8=", "bytes"),
    ("[1, {k: .nan}]", "list"),
    ("{1: one}", "dict"),
])
def test_parameter_values_must_be_plain(project, value, kind):
    errors = errors_of(project, f"""
        name: p
        steps:
          - {{name: a, notebook: a.ipynb, parameters: {{x: {value}}}}}
    """)
    assert errors == [errors[0]] and has(errors, "step 'a'.parameters.x", f"got {kind}"), errors


def test_plain_values_are_accepted(project):
    (project / "pipeline.yaml").write_text(textwrap.dedent("""
        name: p
        steps:
          - name: a
            notebook: a.ipynb
            parameters: {x: 1, rate: 0.25, name: "quote ' \\" and \\n newline", flag: true,
                         nothing: null, items: [1, "two", [3]], nested: {k: {v: 1.5}}}
    """))
    spec = load_spec(project / "pipeline.yaml")
    assert spec.steps["a"].parameters["name"] == "quote ' \" and \n newline"
    assert spec.steps["a"].parameters["nested"] == {"k": {"v": 1.5}}


# -------------------------------------------------------------------- paths
@pytest.mark.parametrize("path", ["../x.ipynb", "/etc/x.ipynb", "escape/secret.ipynb",
                                  "sub/../../x.ipynb"])
def test_notebook_paths_may_not_leave_the_project(project, path):
    errors = errors_of(project, f"""
        name: p
        steps:
          - {{name: a, notebook: "{path}"}}
    """)
    assert_has(errors, "step 'a'.notebook", repr(path), "outside the project")


def test_input_and_output_paths_may_not_leave_the_project(project):
    errors = errors_of(project, """
        name: p
        steps:
          - name: a
            notebook: a.ipynb
            inputs: [../data.csv, /etc/passwd, "escape/*.ipynb", data/ok.csv, "**/*.csv"]
            outputs: {up: ../out.txt, abs: /tmp/out.txt, link: escape/out.txt, ok: out/ok.txt}
    """)
    for path in ("../data.csv", "/etc/passwd", "escape/*.ipynb"):
        assert_has(errors, "step 'a'.inputs", repr(path), "outside")
    for name, path in (("up", "../out.txt"), ("abs", "/tmp/out.txt"),
                       ("link", "escape/out.txt")):
        assert_has(errors, f"step 'a'.outputs.{name}", repr(path), "outside")
    assert len(errors) == 6, errors


def test_bad_inputs_and_outputs_shapes(project):
    errors = errors_of(project, """
        name: p
        steps:
          - {name: a, notebook: a.ipynb, inputs: 5, outputs: "x.txt"}
          - {name: b, notebook: b.ipynb, outputs: {"bad name": x.txt}}
    """)
    assert_has(errors, "step 'a'.inputs", "list of strings")
    assert_has(errors, "step 'a'.outputs", "map output names")
    assert_has(errors, "step 'b'.outputs.'bad name'", "output names")
    assert len(errors) == 3, errors  # each once


# --------------------------------------------------------------- references
def test_references_add_implicit_needs_and_are_substituted(project):
    (project / "pipeline.yaml").write_text(textwrap.dedent("""
        name: p
        steps:
          - {name: consumer, notebook: b.ipynb, parameters: {y: "${steps.producer.outputs.o}"}}
          - {name: producer, notebook: a.ipynb, outputs: {o: out/o.txt}}
          - {name: dotted.step, notebook: a.ipynb, outputs: {"o.csv": out/d.csv}}
          - name: both
            notebook: b.ipynb
            needs: [producer]
            parameters: {y: ["${steps.dotted.step.outputs.o.csv}", {k: "${steps.producer.outputs.o}"}]}
    """))
    spec = load_spec(project / "pipeline.yaml")
    assert spec.steps["consumer"].needs == ("producer",)
    assert set(spec.steps["both"].needs) == {"producer", "dotted.step"}
    order = list(spec.steps)
    assert order.index("producer") < order.index("consumer")
    run = PipelineRun(spec)
    assert run.resolved_parameters("consumer") == {"y": "out/o.txt"}
    assert run.resolved_parameters("both") == {"y": ["out/d.csv", {"k": "out/o.txt"}]}


def test_bad_references(project):
    errors = errors_of(project, """
        name: p
        defaults: {parameters: {x: "${steps.a.outputs.o}"}}
        steps:
          - {name: a, notebook: a.ipynb, outputs: {o: out/o.txt}}
          - name: b
            notebook: b.ipynb
            parameters:
              y: "${steps.a.outputs.nope}"
              z: "${steps.ghost.outputs.o}"
              w: "${steps.a.o}"
          - {name: c, notebook: b.ipynb, parameters: {y: "${steps.c.outputs.o}"}, outputs: {o: c.txt}}
    """)
    assert_has(errors, "defaults.parameters", "references", "step's parameters")
    assert_has(errors, "step 'b'.parameters", "step 'a' has no output 'nope'")
    assert_has(errors, "step 'b'.parameters", "unknown step 'ghost'")
    assert_has(errors, "step 'b'.parameters.w", "malformed reference")
    assert_has(errors, "step 'c'.parameters", "cannot need itself")
    assert len(errors) == 5, errors


# ---------------------------------------------------------------- the file
def test_yaml_syntax_error_names_the_line(project):
    errors = errors_of(project, """
        name: p
        steps:
          - name: a
            notebook: a.ipynb
           parameters: {x: 1}
    """)
    assert len(errors) == 1 and errors[0].startswith("line 5:"), errors


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "just text\n"])
def test_empty_or_non_mapping_file(project, text):
    errors = errors_of(project, text)
    assert errors == ["the file must be a YAML mapping with name and steps"]


def test_missing_file(tmp_path):
    with pytest.raises(NotFoundError, match="no pipeline file"):
        load_spec(tmp_path / "nope.yaml")


def test_undecodable_file(tmp_path):
    (tmp_path / "pipeline.yaml").write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(UsageError, match="cannot read pipeline.yaml"):
        load_spec(tmp_path / "pipeline.yaml")


# ---------------------------------------------------------------- overrides
@pytest.fixture
def two_steps(project):
    (project / "pipeline.yaml").write_text(textwrap.dedent("""
        name: p
        steps:
          - {name: a, notebook: a.ipynb, outputs: {o: out/o.txt}}
          - {name: b.v2, notebook: b.ipynb, parameters: {y: "${steps.a.outputs.o}"}}
    """))
    return load_spec(project / "pipeline.yaml")


def test_parse_overrides_values_are_json_or_text(two_steps):
    overrides = parse_overrides(["a.x=3", "a.rate=0.5", "a.name=hello world", "a.flag=true",
                                 "a.items=[1, 2]", "a.empty=", "b.v2.y=a=b",
                                 "a.bad=[unclosed"], two_steps)
    assert overrides == {"a": {"x": 3, "rate": 0.5, "name": "hello world", "flag": True,
                               "items": [1, 2], "empty": "", "bad": "[unclosed"},
                         "b.v2": {"y": "a=b"}}


def test_parse_overrides_reports_every_error(two_steps):
    with pytest.raises(SpecError) as caught:
        parse_overrides(["novalue", "nodot=1", "ghost.x=1", "a.1x=2", "a.x=1", ".x=1", "a.=1"],
                        two_steps)
    errors = caught.value.errors
    assert len(errors) == 6, errors
    assert "expected STEP.NAME=VALUE" in errors[0] and "'novalue'" in errors[0]
    assert "expected STEP.NAME=VALUE" in errors[1]
    assert "unknown step 'ghost'" in errors[2]
    assert "'1x' is not a valid parameter name" in errors[3]
    assert str(caught.value).startswith("--param: 6 problem(s)")


@pytest.mark.parametrize("pair", ["a.class=1", "a.x=NaN", "a.x=Infinity",
                                  "a.x=${steps.ghost.outputs.o}", "a.x=${steps.a.o}"])
def test_parse_overrides_checks_names_values_and_references(two_steps, pair):
    with pytest.raises(SpecError):
        parse_overrides([pair], two_steps)


@pytest.mark.parametrize("pair, value", [
    ("a.x=0.5", 0.5), ("a.x=true", True), ("a.x=[1, 2]", [1, 2]), ('a.x="7"', "7"),
    ("a.x=2024-01-01", "2024-01-01"), ("a.x=yes", "yes"), ("a.x=?", "?"), ("a.x=#tag", "#tag"),
])
def test_parse_overrides_reads_json_else_text(two_steps, pair, value):
    assert parse_overrides([pair], two_steps) == {"a": {"x": value}}


# ------------------------------------------- notebook parameters (validate)
def validate(project: Path, text: str, **options) -> list[str]:
    (project / "pipeline.yaml").write_text(textwrap.dedent(text).lstrip())
    spec = load_spec(project / "pipeline.yaml")
    run = PipelineRun(spec, RunOptions(**options))
    try:
        run.validate()
    except SpecError as exc:
        return exc.errors
    return []


def test_validate_reports_parameter_problems_at_once(project):
    errors = validate(project, """
        name: p
        steps:
          - {name: a, notebook: a.ipynb, parameters: {x: 2, rate: fast, unknown: 1, name: 7}}
          - {name: b, notebook: b.ipynb, parameters: {y: 1.5}}
          - {name: c, notebook: plain.ipynb, parameters: {z: 1}}
          - {name: d, notebook: a.ipynb, parameters: {rate: 3, x: true}}
    """)
    assert_has(errors, "step 'a'.parameters.rate", "expects float, got str")
    assert_has(errors, "step 'a'.parameters.unknown", "not a parameter", "x, rate, name")
    assert_has(errors, "step 'a'.parameters.name", "expects str, got int")
    assert_has(errors, "step 'b'.parameters.y", "expects int, got float")
    assert_has(errors, "step 'c'.parameters", "plain.ipynb", "no cell tagged 'parameters'")
    assert_has(errors, "step 'd'.parameters.x", "expects int, got bool")
    assert len(errors) == 6, errors  # an int for a float (d.rate) is fine


def test_validate_checks_overrides_too(project):
    errors = validate(project, """
        name: p
        steps:
          - {name: a, notebook: a.ipynb}
    """, overrides={"a": {"rate": "fast", "other": 1}})
    assert_has(errors, "step 'a'.parameters.rate", "expects float")
    assert_has(errors, "step 'a'.parameters.other", "not a parameter")


def test_unknown_parameters_allowed_when_not_strict(project):
    text = """
        name: p
        defaults: {strict_parameters: false, parameters: {seed: 1}}
        steps:
          - {name: a, notebook: a.ipynb, parameters: {unknown: 1, x: 2}}
          - {name: b, notebook: b.ipynb, strict_parameters: true, parameters: {extra: 1}}
    """
    errors = validate(project, text)
    assert errors == [("step 'b'.parameters.extra: not a parameter of the notebook "
                      "(declared: y)")], errors
    # defaults.parameters only go to steps that declare them
    spec = load_spec(project / "pipeline.yaml")
    assert "seed" not in PipelineRun(spec).resolved_parameters("a")


def test_validate_unreadable_notebook_names_the_step(project):
    (project / "broken.ipynb").write_text("{not json")
    errors = validate(project, """
        name: p
        steps:
          - {name: a, notebook: broken.ipynb}
    """)
    assert_has(errors, "step 'a'.notebook", "broken.ipynb", "not a readable notebook")


def test_selection_errors(project):
    (project / "pipeline.yaml").write_text(textwrap.dedent("""
        name: p
        steps:
          - {name: a, notebook: a.ipynb, outputs: {o: out/o.txt}}
          - {name: b, notebook: b.ipynb, needs: [a]}
    """))
    spec = load_spec(project / "pipeline.yaml")
    with pytest.raises(SpecError, match="unknown step 'zz'"):
        PipelineRun(spec, RunOptions(only=["zz"]))
    with pytest.raises(SpecError, match="not both"):
        PipelineRun(spec, RunOptions(only=["a"], from_step="b"))
    run = PipelineRun(spec, RunOptions(only=["b"]))
    with pytest.raises(SpecError, match=r"step 'a' is not selected but its output 'o' "
                                        r"\(out/o.txt\) does not exist"):
        run.validate()


# ---------------------------------------------------------------- gate
def test_gate_block_is_parsed_per_model(project):
    file = project / "pipeline.yaml"
    file.write_text(textwrap.dedent("""
        name: p
        steps: [{name: a, notebook: a.ipynb}]
        gate:
          my-model:
            thresholds: ["accuracy >= 0.9"]
            margin: 0.01
            evaluation: {data: data/test.csv, target: label}
    """).lstrip())
    spec = load_spec(file)
    policy = spec.gates["my-model"]
    assert policy.thresholds == ["accuracy >= 0.9"] and policy.margin == 0.01
    assert policy.evaluation.data == str((project / "data" / "test.csv").resolve())


def test_gate_problems_are_reported_with_the_others(project):
    errors = errors_of(project, """
        name: p
        steps: [{name: a, notebook: nope.ipynb}]
        gate:
          "bad name!": {thresholds: ["accuracy >= 0.9"]}
          good: {thresholds: ["accuracy => 0.9"]}
          leaky: {evaluation: {data: ../../etc/x.csv, target: y}}
          listy: [1, 2]
    """)
    assert_has(errors, "step 'a'.notebook", "does not exist")
    assert_has(errors, "gate", "invalid model name")
    assert_has(errors, "gate.good", "malformed gate expression")
    assert_has(errors, "gate.leaky.evaluation", "inside the pipeline folder")
    assert_has(errors, "gate.listy", "expected a mapping")
