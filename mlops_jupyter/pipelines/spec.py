"""pipeline.yaml → a validated :class:`PipelineSpec`.

Everything that can be checked before a kernel starts is checked here, and every
problem is reported at once, each naming the step and field::

    name: breast-cancer
    experiment: breast-cancer-pipeline      # default: the name
    defaults: {kernel: python3, timeout: 300, retries: 0, parameters: {seed: 42}}
    steps:
      - name: prepare
        notebook: prepare.ipynb
        parameters: {test_size: 0.25}
        inputs: [raw/*.csv]                  # files or globs the step reads
        outputs: {train: data/train.csv}     # name -> file the step writes
      - name: train
        notebook: train.ipynb
        needs: [prepare]
        parameters: {train_path: "${steps.prepare.outputs.train}"}

Paths are relative to the folder holding pipeline.yaml (the project) and may not
leave it. ``defaults.parameters`` apply to each step whose notebook declares them.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import documents, names, paths
from ..exceptions import UsageError
from .parameters import is_plain_value, malformed_references, references

TOP_KEYS = {"name", "experiment", "defaults", "steps", "description", "gate"}
DEFAULT_KEYS = {"kernel", "timeout", "retries", "parameters", "strict_parameters"}
STEP_KEYS = {"name", "notebook", "parameters", "needs", "inputs", "outputs", "retries",
             "timeout", "kernel", "description", "strict_parameters"}


class SpecError(UsageError):
    """A pipeline spec with problems; ``errors`` lists every one of them."""

    def __init__(self, path: str, errors: list[str]):
        self.errors = errors
        listing = "; ".join(errors)
        super().__init__(f"{path}: {len(errors)} problem(s): {listing}")


@dataclass(frozen=True)
class StepSpec:
    """One notebook of the pipeline, as declared (parameters not yet resolved)."""

    name: str
    notebook: Path
    parameters: dict[str, Any]
    needs: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: dict[str, str]
    retries: int = 0
    timeout: float | None = None
    kernel: str = "python3"
    strict_parameters: bool = True


@dataclass(frozen=True)
class PipelineSpec:
    """A validated pipeline: steps in a topological order."""

    name: str
    experiment: str
    path: Path
    root: Path
    steps: dict[str, StepSpec]
    source: str
    default_parameters: dict[str, Any] = field(default_factory=dict)
    gates: dict[str, Any] = field(default_factory=dict)  # model name -> GatePolicy

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    def downstream(self, name: str) -> list[str]:
        """``name`` and every step that depends on it, in pipeline order."""
        found = {name}
        for step in self.steps.values():
            if any(need in found for need in step.needs):
                found.add(step.name)
        return [step for step in self.steps if step in found]

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))


def _label(name: Any) -> str:
    """A key for an error message: as is when harmless, else repr (one line, visible)."""
    return name if isinstance(name, str) and re.fullmatch(r"[\w.-]+", name) else repr(name)


class _Checker:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def path(self, where: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(where, "must be a relative path")
            return None
        if paths.inside(self.root, value) is None:
            self.error(where, f"{value!r} is outside the project folder")
            return None
        return value

    def number(self, where: str, value: Any, minimum: float, integer: bool) -> Any:
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or \
                not math.isfinite(value) or value < minimum:
            self.error(where, f"must be {'a whole number' if integer else 'a number'} "
                              f">= {minimum:g}")
            return None
        return value

    def parameters(self, where: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(where, "must be a mapping of name: value")
            return {}
        for name, item in value.items():
            if not names.is_parameter_name(name):
                self.error(f"{where}.{_label(name)}",
                           "parameter names must be Python identifiers (not keywords)")
            elif not is_plain_value(item):
                self.error(f"{where}.{name}", "values must be YAML scalars, lists or mappings "
                                              "(no dates, sets, NaN or infinity; got "
                                              f"{type(item).__name__})")
            elif malformed_references(item):
                self.error(f"{where}.{name}", "malformed reference: use "
                                              "${steps.STEP.outputs.OUTPUT}")
        return {k: v for k, v in value.items() if names.is_parameter_name(k)}


def _string_list(check: _Checker, where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        check.error(where, "must be a list of strings")
        return []
    return value


def _outputs(check: _Checker, where: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, list):  # a plain list: outputs named after their file stem
        value = {Path(item).stem if isinstance(item, str) else str(item): item
                 for item in value}
    if not isinstance(value, dict):
        check.error(where, "must map output names to paths")
        return {}
    outputs = {}
    for name, path in value.items():
        if not names.is_step_name(name):
            check.error(f"{where}.{_label(name)}", "output names use letters, digits, '_', '-', '.'")
            continue
        if check.path(f"{where}.{name}", path) is not None:
            outputs[name] = path
    return outputs


def parse_spec(text: str, path: Path) -> PipelineSpec:
    """Validate the structure of a pipeline document (notebooks are not opened here).

    Raises:
        SpecError: every problem found.
    """
    root = path.parent.resolve()
    check = _Checker(root)
    try:
        data = documents.load_yaml(text, path.name)
    except documents.DocumentError as exc:
        raise SpecError(path.name, [f"{exc.where}: {exc.problem}"]) from None
    if not isinstance(data, dict):
        raise SpecError(path.name, ["the file must be a YAML mapping with name and steps"])
    for key in documents.unknown_keys(data, TOP_KEYS):
        check.error(_label(key), "unknown field")
    name = data.get("name")
    if not names.is_step_name(name):
        check.error("name", "required: letters, digits, '_', '-', '.'")
        name = path.stem
    experiment = data.get("experiment", name)
    if not isinstance(experiment, str) or not experiment.strip():
        check.error("experiment", "must be a non-empty string")
        experiment = name

    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        check.error("defaults", "must be a mapping")
        defaults = {}
    for key in documents.unknown_keys(defaults, DEFAULT_KEYS):
        check.error(f"defaults.{_label(key)}", "unknown field")
    default_parameters = check.parameters("defaults.parameters", defaults.get("parameters"))
    if references(default_parameters):
        # Defaults go to every step declaring the name, the producer included, and add
        # no dependency: a reference there cannot be honoured.
        check.error("defaults.parameters", "references to step outputs belong in a "
                                           "step's parameters")

    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        check.error("steps", "required: a non-empty list of steps")
        raw_steps = []
    steps: dict[str, StepSpec] = {}
    writers: dict[str, str] = {}
    for index, raw in enumerate(raw_steps):
        step = _parse_step(check, raw, index, defaults, steps, writers)
        if step is not None:
            steps[step.name] = step
    _check_needs(check, steps)
    ordered = _topological(check, steps)
    gates = _gates(check, data.get("gate"), root)
    if check.errors:
        raise SpecError(path.name, check.errors)
    return PipelineSpec(name=name, experiment=experiment.strip(), path=path.resolve(),
                        root=root, steps={n: steps[n] for n in ordered}, source=text,
                        default_parameters=default_parameters, gates=gates)


def _gates(check: _Checker, raw: Any, root: Path) -> dict[str, Any]:
    """``gate: {MODEL: policy}``: each model's promotion gate (see registry.policy)."""
    from ..registry.policy import parse_policy

    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.error("gate", "must map model names to their gate "
                            "(thresholds, metric, margin, evaluation)")
        return {}
    gates = {}
    for model, policy in raw.items():
        try:
            names.check_model_name(model)
        except UsageError as error:
            check.error("gate", str(error))
            continue
        try:
            gates[model] = parse_policy(policy, base_dir=str(root), where=f"gate.{model}")
        except UsageError as error:
            check.errors.append(str(error))
    return gates


def _parse_step(check: _Checker, raw: Any, index: int, defaults: dict, steps: dict,
                writers: dict[str, str]) -> StepSpec | None:
    if not isinstance(raw, dict):
        check.error(f"steps[{index}]", "must be a mapping")
        return None
    name = raw.get("name")
    if not names.is_step_name(name):
        check.error(f"steps[{index}].name", "required: letters, digits, '_', '-', '.'")
        return None
    where = f"step {name!r}"
    if name in steps:
        check.error(f"{where}.name", "duplicate step name")
        return None
    for key in documents.unknown_keys(raw, STEP_KEYS):
        check.error(f"{where}.{_label(key)}", "unknown field")
    notebook = None
    relative = check.path(f"{where}.notebook", raw.get("notebook"))
    if relative is not None:
        notebook = paths.inside(check.root, relative)
        if not relative.endswith(".ipynb"):
            check.error(f"{where}.notebook", f"{relative!r} is not a .ipynb notebook")
        elif not notebook.is_file():
            check.error(f"{where}.notebook", f"{relative!r} does not exist")
    inputs = _string_list(check, f"{where}.inputs", raw.get("inputs"))
    for pattern in inputs:
        check.path(f"{where}.inputs", pattern)
    outputs = _outputs(check, f"{where}.outputs", raw.get("outputs"))
    for output, path in outputs.items():
        key = str(paths.inside(check.root, path))
        if key in writers:
            check.error(f"{where}.outputs.{output}", f"{path!r} is also written by step "
                                                     f"{writers[key]!r}")
        writers[key] = name
    parameters = check.parameters(f"{where}.parameters", raw.get("parameters"))
    needs = _string_list(check, f"{where}.needs", raw.get("needs"))
    for step_name, _output in references(parameters):
        if step_name not in needs:
            needs.append(step_name)  # a reference is a dependency
    retries = check.number(f"{where}.retries", raw.get("retries", defaults.get("retries", 0)),
                           0, integer=True)
    timeout = raw.get("timeout", defaults.get("timeout"))
    if timeout is not None:
        timeout = check.number(f"{where}.timeout", timeout, 1, integer=False)
    kernel = raw.get("kernel", defaults.get("kernel", "python3"))
    if not isinstance(kernel, str) or not kernel.strip():
        check.error(f"{where}.kernel", "must be a kernel name")
    strict = raw.get("strict_parameters", defaults.get("strict_parameters", True))
    if not isinstance(strict, bool):
        check.error(f"{where}.strict_parameters", "must be true or false")
    if notebook is None:
        return None
    return StepSpec(name=name, notebook=notebook, parameters=parameters,
                    needs=tuple(dict.fromkeys(needs)),
                    inputs=tuple(inputs),
                    outputs=outputs, retries=retries or 0, timeout=timeout,
                    kernel=kernel if isinstance(kernel, str) else "python3",
                    strict_parameters=strict is not False)


def _check_needs(check: _Checker, steps: dict[str, StepSpec]) -> None:
    for step in steps.values():
        where = f"step {step.name!r}"
        referenced = {step_name for step_name, _output in references(step.parameters)}
        for need in step.needs:
            if need == step.name:
                field = "parameters" if need in referenced else "needs"
                check.error(f"{where}.{field}", "a step cannot need itself")
            elif need not in steps and need in referenced:
                check.error(f"{where}.parameters", f"references unknown step {need!r}")
            elif need not in steps:
                check.error(f"{where}.needs", f"unknown step {need!r}")
        for step_name, output in references(step.parameters):
            upstream = steps.get(step_name)
            if upstream is not None and output not in upstream.outputs:
                check.error(f"{where}.parameters",
                            f"step {step_name!r} has no output {output!r}")


def _topological(check: _Checker, steps: dict[str, StepSpec]) -> list[str]:
    """Kahn's algorithm, keeping declaration order among ready steps."""
    remaining = {name: {n for n in step.needs if n in steps and n != name}
                 for name, step in steps.items()}
    ordered: list[str] = []
    while True:
        ready = [name for name, needs in remaining.items() if not needs]
        if not ready:
            break
        for name in ready:
            ordered.append(name)
            del remaining[name]
        for needs in remaining.values():
            needs.difference_update(ready)
    if remaining:
        check.error("steps", "dependency cycle between " + ", ".join(sorted(remaining)))
    return ordered


def load_spec(path: str | Path) -> PipelineSpec:
    """Read and validate a pipeline file (structure, paths, dependencies).

    Raises:
        NotFoundError: no such file.
        SpecError: every problem found in it.
    """
    file = Path(path)
    return parse_spec(documents.read_document(file, what="pipeline file"), file)
