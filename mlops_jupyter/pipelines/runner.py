"""Running a pipeline: plan, cache, dispatch to an executor, record.

The runner walks the DAG: a step whose upstream steps all succeeded is either a
cache hit (skipped, linked to the run that produced its outputs) or submitted to
the executor; a failed step marks everything downstream SKIPPED while independent
branches go on. Every step is an MLflow run, child of the pipeline run, written
through the tracking journal (:mod:`.recording`), so recording never slows the
pipeline down and a fully cached re-run does not even import MLflow. Parameter
overrides are parsed in :mod:`.overrides`.

Each run gets a folder ``<project>/mlops-runs/<run id>/`` (a scheduled job's:
``<project>/mlops-jobs/<run id>/``, see :func:`.cache.run_folder`) with the executed
notebooks and ``status.json`` (live status, read by ``mlops pipeline show`` and
the sidebar); ``mlops-runs/<pipeline file>.latest`` names the file's latest run.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import config, names
from . import step as statuses
from .cache import ProjectState, cache_key, latest_pointer, run_folder
from .notebooks import check_value, code_hash, read_notebook
from .parameters import REFERENCE, references
from .recording import RunRecorder
from .spec import PipelineSpec, SpecError
from .step import StepOutcome, StepTask

SUCCESS = (statuses.FINISHED, statuses.CACHED, statuses.NOT_SELECTED)
FAILURES = (statuses.FAILED, statuses.TIMED_OUT, statuses.KERNEL_DIED, statuses.SKIPPED)


@dataclass
class RunOptions:
    """How to run a pipeline (the CLI's and server's options)."""

    executor: str = "local"
    scheduler: str | None = None
    force: bool = False
    only: list[str] = field(default_factory=list)
    from_step: str | None = None
    max_parallel: int | None = None
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_id: str | None = None
    trigger: str | None = None  # why it runs, e.g. "drift check <run id>" (recorded)
    scheduled: bool = False  # a scheduled job: its own output folder (cache.run_folder)


@dataclass
class StepState:
    """A step's progress in one pipeline run (what status.json shows)."""

    name: str
    status: str = statuses.PENDING
    started: float | None = None
    ended: float | None = None
    attempts: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)
    cache_key: str | None = None
    cached_from: dict[str, Any] | None = None
    output_notebook: str | None = None
    output_hashes: dict[str, str | None] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    run_key: str | None = None
    reason: str | None = None
    host: str | None = None

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started


def _substitute(value: Any, spec: PipelineSpec) -> Any:
    """Replace ``${steps.S.outputs.O}`` by that output's path (relative to the project)."""
    if isinstance(value, str):
        return REFERENCE.sub(lambda m: spec.steps[m.group(1)].outputs[m.group(2)], value)
    if isinstance(value, list):
        return [_substitute(item, spec) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, spec) for key, item in value.items()}
    return value


class PipelineRun:
    """One execution of a pipeline spec."""

    def __init__(self, spec: PipelineSpec, options: RunOptions | None = None,
                 on_change: Callable[[PipelineRun], None] | None = None):
        self.spec = spec
        self.options = options or RunOptions()
        self.on_change = on_change or (lambda run: None)
        self.state = ProjectState(spec.root).load()
        self.run_id = names.check_run_id(self.options.run_id) or \
            f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.run_dir = run_folder(spec.root, self.run_id, scheduled=self.options.scheduled)
        self.steps = {name: StepState(name) for name in spec.steps}
        self.selected = self._select()
        self.status = statuses.PENDING
        self.started = time.time()
        self.ended: float | None = None
        self.pipeline_key = uuid.uuid4().hex
        self._codes: dict[str, str] = {}
        self.recorder = RunRecorder(self)
        self._executor = None

    # --------------------------------------------------------------- planning
    def _select(self) -> list[str]:
        spec, options = self.spec, self.options
        unknown = [n for n in [*options.only, *filter(None, [options.from_step])]
                   if n not in spec.steps]
        if unknown:
            raise SpecError(spec.path.name, [f"unknown step {n!r} (steps: "
                                             f"{', '.join(spec.steps)})" for n in unknown])
        if options.only and options.from_step:
            raise SpecError(spec.path.name, ["use --only or --from, not both"])
        if options.only:
            return [name for name in spec.steps if name in options.only]
        if options.from_step:
            return spec.downstream(options.from_step)
        return list(spec.steps)

    def resolved_parameters(self, name: str) -> dict[str, Any]:
        """The step's parameters: defaults it declares, its own, overrides; refs resolved."""
        step = self.spec.steps[name]
        declared = self._declared(name) or {}
        merged = {k: v for k, v in self.spec.default_parameters.items() if k in declared}
        merged.update(step.parameters)
        merged.update(self.options.overrides.get(name, {}))
        return _substitute(merged, self.spec)

    def _code(self, name: str) -> str:
        """The step notebook's code hash (read once per run)."""
        if name not in self._codes:
            self._codes[name] = code_hash(read_notebook(self.spec.steps[name].notebook))
        return self._codes[name]

    def _declared(self, name: str):
        return self.state.declared_parameters(self.spec.steps[name].notebook, self._code(name))

    def step_cache_key(self, name: str, parameters: dict[str, Any],
                       upstream_hashes: dict[str, dict[str, str | None]]) -> str:
        """The cache key of step ``name`` given its upstream steps' output hashes."""
        step = self.spec.steps[name]
        upstream = {f"{need}.{output}": digest or "missing"
                    for need in step.needs
                    for output, digest in sorted(upstream_hashes[need].items())}
        return cache_key(code=self._code(name), parameters=parameters,
                         inputs=self.state.input_hashes(step.inputs), upstream=upstream,
                         kernel=step.kernel, store=config.tracking_uri())

    def validate(self) -> None:
        """Check every selected step's parameters against its notebook, all at once.

        Raises:
            SpecError: unknown names (unless ``strict_parameters: false``), type
                mismatches, parameters given to a notebook without a parameters cell,
                missing outputs of steps that are not selected.
        """
        errors = []
        for name in self.selected:
            step = self.spec.steps[name]
            where = f"step {name!r}"
            try:
                declared = self._declared(name)
            except Exception as exc:  # noqa: BLE001 - reported with the step's name
                errors.append(f"{where}.notebook: {exc}")
                continue
            given = {**step.parameters, **self.options.overrides.get(name, {})}
            if declared is None:
                if given:
                    errors.append(f"{where}.parameters: {self.spec.relative(step.notebook)} "
                                  "has no cell tagged 'parameters'")
                continue
            for key, value in given.items():
                if key not in declared:
                    if step.strict_parameters:
                        known = ", ".join(declared) or "none"
                        errors.append(f"{where}.parameters.{key}: not a parameter of the "
                                      f"notebook (declared: {known})")
                    continue
                problem = None if references(value) else check_value(
                    declared[key]["type"], value)
                if problem:
                    errors.append(f"{where}.parameters.{key}: {problem}")
        for name in self.spec.steps:
            if name in self.selected:
                continue
            for output, path in self.spec.steps[name].outputs.items():
                if not (self.spec.root / path).exists() and any(
                        name in self.spec.steps[s].needs for s in self.selected):
                    errors.append(f"step {name!r} is not selected but its output {output!r} "
                                  f"({path}) does not exist; run it first")
        if errors:
            raise SpecError(self.spec.path.name, errors)

    # ---------------------------------------------------------------- running
    def run(self) -> PipelineRun:
        """Validate, then run every selected step; returns self (see ``ok``)."""
        from .executors import make_executor

        self.validate()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for name in self.spec.steps:
            if name not in self.selected:
                self.steps[name].status = statuses.NOT_SELECTED
                self.steps[name].output_hashes = {
                    output: self.state.file_hash(self.spec.root / path)
                    for output, path in self.spec.steps[name].outputs.items()}
        self.status = statuses.RUNNING
        self.recorder.start()
        self._changed()
        futures: dict[Any, str] = {}
        pending = list(self.selected)
        try:
            while pending or futures:
                for name in list(pending):
                    needs = self.spec.steps[name].needs
                    failed = [n for n in needs if self.steps[n].status in FAILURES]
                    if failed:
                        pending.remove(name)
                        self._skip(name, f"upstream step {failed[0]!r} did not succeed")
                    elif all(self.steps[n].status in SUCCESS for n in needs):
                        pending.remove(name)
                        if not self._try_cache(name):
                            if self._executor is None:
                                self.recorder.declare_gates()
                                self._executor = make_executor(
                                    self.options.executor, max_parallel=self.options.max_parallel,
                                    scheduler=self.options.scheduler,
                                    steps=len(pending) + 1)
                            futures[self._submit(name)] = name
                if not futures:
                    continue
                for future in self._executor.wait(list(futures)):
                    name = futures.pop(future)
                    retry = self._finish(name, self._executor.outcome(future))
                    if retry:
                        futures[self._submit(name)] = name
        finally:
            if self._executor is not None:
                self._executor.close()
            self.recorder.remove_step_journals()
            self._end()
        return self

    @property
    def ok(self) -> bool:
        return all(self.steps[name].status in SUCCESS for name in self.selected)

    def _try_cache(self, name: str) -> bool:
        state = self.steps[name]
        state.parameters = self.resolved_parameters(name)
        state.cache_key = self.step_cache_key(name, state.parameters, {
            need: self.steps[need].output_hashes for need in self.spec.steps[name].needs})
        entry = None if self.options.force else self.state.lookup(state.cache_key)
        if entry is None:
            return False
        now = time.time()
        state.status, state.started, state.ended = statuses.CACHED, now, now
        state.cached_from = {k: entry.get(k) for k in ("run_key", "run_id", "pipeline_run",
                                                       "output_notebook", "finished_at")}
        state.output_notebook = entry.get("output_notebook")
        state.output_hashes = {k: v["hash"] for k, v in entry["outputs"].items()}
        state.run_key = uuid.uuid4().hex
        self.recorder.step_cached(name)
        self._changed()
        return True

    def _submit(self, name: str):
        step, state = self.spec.steps[name], self.steps[name]
        state.attempts += 1
        state.status, state.started, state.ended = statuses.RUNNING, time.time(), None
        state.error = None
        output = self.run_dir / f"{name}.ipynb"
        state.output_notebook = self.spec.relative(output)
        if state.run_key is None:
            state.run_key = uuid.uuid4().hex
            self.recorder.step_started(name)
        task = StepTask(
            name=name, notebook=str(step.notebook), output_notebook=str(output),
            cwd=str(self.spec.root), parameters=state.parameters, kernel=step.kernel,
            timeout=step.timeout, outputs=dict(step.outputs), attempt=state.attempts,
            env=self.recorder.step_env(name, output))
        self._changed()  # before submitting: an inline executor returns when the step ended
        return self._executor.submit(task)

    def _finish(self, name: str, outcome: StepOutcome) -> bool:
        """Record an outcome; returns True when the step should be retried."""
        self.recorder.forward_step_journal(name)
        step, state = self.spec.steps[name], self.steps[name]
        state.ended, state.host = outcome.ended, outcome.host
        state.error, state.output_hashes = outcome.error, outcome.output_hashes
        if outcome.status != statuses.FINISHED and state.attempts <= step.retries:
            state.status = statuses.PENDING
            state.reason = f"attempt {state.attempts} {outcome.status}; retrying"
            self._changed()
            return True
        state.status = outcome.status
        state.reason = f"succeeded on attempt {state.attempts}" if (
            outcome.status == statuses.FINISHED and state.attempts > 1) else None
        if outcome.status == statuses.FINISHED:
            self.state.record(state.cache_key, {
                "step": name, "run_key": state.run_key, "pipeline_run": self.run_id,
                "output_notebook": state.output_notebook, "finished_at": outcome.ended,
                "outputs": {k: {"path": step.outputs[k], "hash": v}
                            for k, v in outcome.output_hashes.items()}})
            self.state.save()
        self.recorder.step_ended(name)
        self._changed()
        return False

    def _skip(self, name: str, reason: str) -> None:
        state = self.steps[name]
        state.status, state.reason = statuses.SKIPPED, reason
        state.started = state.ended = time.time()
        self._changed()

    def _end(self) -> None:
        for name in self.selected:  # interrupted: whatever did not end was cancelled
            if self.steps[name].status in (statuses.PENDING, statuses.RUNNING):
                self._skip(name, "the pipeline run was interrupted")
        self.ended = time.time()
        self.status = statuses.FINISHED if self.ok else statuses.FAILED
        self.state.save()
        self.recorder.pipeline_ended()
        self._changed()
        self.recorder.close()

    # ----------------------------------------------------------------- status
    def to_dict(self) -> dict[str, Any]:
        """The run as JSON (status.json, ``--json``, the server)."""
        return {
            "pipeline": self.spec.name, "file": str(self.spec.path), "run_id": self.run_id,
            "run_dir": str(self.run_dir), "status": self.status, "started": self.started,
            "ended": self.ended, "executor": self.options.executor,
            "experiment": self.spec.experiment, "selected": self.selected,
            "steps": [{**asdict(state), "duration": state.duration,
                       "needs": list(self.spec.steps[name].needs)}
                      for name, state in self.steps.items()],
        }

    def _changed(self) -> None:
        if self.run_dir.is_dir():
            data = json.dumps(self.to_dict(), indent=1, default=str)
            temporary = self.run_dir / "status.json.tmp"
            temporary.write_text(data)
            os.replace(temporary, self.run_dir / "status.json")
            if not self.options.scheduled:
                latest_pointer(self.spec.path).write_text(self.run_id)
        self.on_change(self)


def run_pipeline(spec: PipelineSpec, options: RunOptions | None = None,
                 on_change: Callable[[PipelineRun], None] | None = None) -> PipelineRun:
    """Run ``spec``; see :class:`PipelineRun`."""
    return PipelineRun(spec, options, on_change).run()
