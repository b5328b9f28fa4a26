"""Recording a pipeline run in MLflow: the pipeline run, one child run per step, and
the models' declared gates.

Everything goes through the tracking journal (:class:`~mlops_jupyter.tracking.writer.Writer`):
the flusher writes it in the background, in order, so recording never slows the
pipeline down, a store that is down does not stop it, and the runner's process never
imports MLflow.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .. import config
from ..tracking import operations
from . import step as statuses

_MLFLOW_STATUS = {statuses.FINISHED: "FINISHED", statuses.CACHED: "FINISHED",
                  statuses.FAILED: "FAILED", statuses.TIMED_OUT: "FAILED",
                  statuses.KERNEL_DIED: "FAILED", statuses.SKIPPED: "KILLED"}


class RunRecorder:
    """Journals one :class:`~.runner.PipelineRun` (its spec, step states and options)
    as MLflow runs: the pipeline's run and a child run per step."""

    def __init__(self, run):
        self.run = run
        self._writer = None

    # -------------------------------------------------------------- pipeline
    def start(self) -> None:
        """Open the pipeline's run (tags, the spec as an artifact)."""
        from ..tracking.writer import Writer

        run, spec = self.run, self.run.spec
        self._writer = Writer()
        submit = self._writer.submit
        submit(operations.start_run(
            run.pipeline_key, spec.experiment, name=f"{spec.name} {run.run_id}",
            parent=None, collect=("git", "environment"), cwd=str(spec.root), tags={
                "mlops.kind": "pipeline", "mlops.pipeline.name": spec.name,
                "mlops.pipeline.spec_hash": spec.source_hash,
                "mlops.pipeline.run_id": run.run_id,
                "mlops.pipeline.run_dir": str(run.run_dir),
                "mlops.pipeline.executor": run.options.executor,
                "mlops.pipeline.selected": ",".join(run.selected),
                "mlops.pipeline.trigger": (run.options.trigger or "manual")[:500]}))
        submit(operations.artifact_text(run.pipeline_key, "pipeline/pipeline.yaml",
                                        spec.source))

    def declare_gates(self) -> None:
        """Store the spec's ``gate:`` policies on their models before a step runs,
        so a step that promotes (and later the CLI and sidebar) uses them.

        Journaled like the runs, not written here: the flusher applies events in
        order, so the gates are in the store before the step's run is, and a step
        that promotes waits for its run first (``mlops_jupyter.promote``). The
        runner itself never imports MLflow, and a store that is down does not stop
        the pipeline."""
        from ..registry.policy import POLICY_TAG

        for model, policy in self.run.spec.gates.items():
            self._writer.submit(operations.model_tag(model, POLICY_TAG,
                                                     json.dumps(policy.to_dict())))

    def pipeline_ended(self) -> None:
        """Close the pipeline's run with every step's status."""
        if self._writer is None:
            return
        run = self.run
        summary = {name: run.steps[name].status for name in run.spec.steps}
        self._writer.submit(operations.log(run.pipeline_key, tags={
            "mlops.pipeline.status": run.status,
            "mlops.pipeline.steps": json.dumps(summary)}))
        self._writer.submit(operations.end_run(
            run.pipeline_key, "FINISHED" if run.ok else "FAILED"))

    def close(self) -> None:
        """Hand what is journaled to the flusher, which finishes in the background."""
        if self._writer is not None:
            self._writer.close()

    # ----------------------------------------------------------------- steps
    def step_env(self, name: str, output: Path) -> dict[str, str]:
        """Attach the step's kernel to its MLflow run (see tracking.session).

        The kernel journals what it logs into the run folder without starting a
        flusher of its own; :meth:`forward_step_journal` forwards that journal when
        the step ends.
        """
        return {"MLOPS_RUN_KEY": self.run.steps[name].run_key,
                "MLOPS_STEP_JOURNAL": str(self._step_journal(name)),
                "MLOPS_EXPERIMENT": self.run.spec.experiment,
                "MLOPS_NOTEBOOK": str(output),
                "MLOPS_JUPYTER_HOME": str(config.home_dir()),
                "MLFLOW_TRACKING_URI": config.tracking_uri()}

    def forward_step_journal(self, name: str) -> None:
        """Send what the step's kernel logged through our writer, in order."""
        from ..tracking.spool import parse_events, read_lines

        folder = self._step_journal(name)
        for events in sorted(folder.glob("*.events")):
            for event in parse_events(read_lines(events)[0]):
                event.pop("seq", None)
                self._writer.submit(event)
        shutil.rmtree(folder, ignore_errors=True)

    def remove_step_journals(self) -> None:
        """Remove what is left of the steps' journals (an interrupted run)."""
        shutil.rmtree(self.run.run_dir / "journals", ignore_errors=True)

    def _step_journal(self, name: str) -> Path:
        return self.run.run_dir / "journals" / name

    def _step_tags(self, name: str) -> dict[str, str]:
        run = self.run
        step, state = run.spec.steps[name], run.steps[name]
        return {"mlops.kind": "step", "mlops.step.name": name,
                "mlops.step.notebook": run.spec.relative(step.notebook),
                "mlops.step.cache_key": state.cache_key or "",
                "mlops.pipeline.name": run.spec.name, "mlops.pipeline.run_id": run.run_id,
                "mlflow.source.name": run.spec.relative(step.notebook),
                "mlflow.source.type": "NOTEBOOK"}

    def step_started(self, name: str) -> None:
        """Open the step's run, child of the pipeline's."""
        run = self.run
        self._writer.submit(operations.start_run(
            run.steps[name].run_key, run.spec.experiment, name=name,
            parent=run.pipeline_key, tags=self._step_tags(name), collect=("git",),
            cwd=str(run.spec.root)))

    def step_cached(self, name: str) -> None:
        """A cache hit: a finished run linked to the run that produced its outputs."""
        run = self.run
        state = run.steps[name]
        tags = {**self._step_tags(name), "mlops.step.status": statuses.CACHED,
                "mlops.cache.hit": "true",
                "mlops.cache.source_pipeline_run": str(state.cached_from.get("pipeline_run")),
                "mlops.cache.source_notebook": str(state.output_notebook)}
        event = operations.start_run(state.run_key, run.spec.experiment, name=name,
                                     parent=run.pipeline_key, tags=tags)
        # The producing run's id is resolved by the flusher from its key.
        event["resolve_tags"] = {"mlops.cache.source_run_id": state.cached_from["run_key"]}
        self._writer.submit(event)
        self._writer.submit(operations.end_run(state.run_key, "FINISHED"))

    def step_ended(self, name: str) -> None:
        """Close the step's run: parameters, status tags, hashes, executed notebook."""
        run = self.run
        state, step = run.steps[name], run.spec.steps[name]
        params = {key: json.dumps(value) if not isinstance(value, str) else value
                  for key, value in state.parameters.items()}
        tags = {"mlops.step.status": state.status, "mlops.step.attempts": str(state.attempts),
                "mlops.step.duration_s": f"{state.duration or 0:.3f}",
                "mlops.step.host": state.host or "",
                "mlops.step.output_notebook": state.output_notebook or "",
                "mlops.step.inputs": json.dumps(run.state.input_hashes(step.inputs)),
                "mlops.step.outputs": json.dumps(state.output_hashes),
                "mlops.step.upstream": self._upstream_tag(name)}
        if state.error:
            for key, value in state.error.items():
                tags[f"mlops.error.{key}"] = str(value)[:1000]
        submit = self._writer.submit
        submit(operations.log(state.run_key, params={k: v[:500] for k, v in params.items()},
                              tags=tags))
        notebook = run.spec.root / state.output_notebook if state.output_notebook else None
        if notebook is not None and notebook.is_file():
            submit(operations.artifact_file(state.run_key, notebook, "notebook", keep=True))
        submit(operations.end_run(state.run_key, _MLFLOW_STATUS[state.status]))

    def _upstream_tag(self, name: str) -> str:
        """``{need: {output: hash}}``: exactly what the step consumed, for lineage."""
        run = self.run
        text = json.dumps({need: run.steps[need].output_hashes
                           for need in run.spec.steps[name].needs})
        if len(text) > 7000:  # MLflow caps tag values; names alone still give the DAG
            text = json.dumps({need: {} for need in run.spec.steps[name].needs})
        return text
