"""The notebook-facing functions: what a notebook (and ``%mlops``) calls.

``import mlops_jupyter`` re-exports them, so ``mlops_jupyter.log_metric(...)`` works;
the magics import this module, never the package root. Everything heavy (mlflow,
pandas, evidently) is imported inside the functions, so importing it stays cheap.
"""

from __future__ import annotations

__all__ = ["ab_test", "check_drift", "check_live", "load_model", "log_metric", "log_param",
           "promote", "register_model", "run_pipeline"]


def log_metric(key: str, value: float) -> None:
    """Log a numeric metric on the run of the cell being executed.

    Args:
        key: metric name.
        value: a number (int, float, numpy scalar).

    Raises:
        UsageError: nothing is being tracked, or the value is not a number.
    """
    from .tracking.session import current_session

    current_session().log({key: value}, numeric_only=True)


def log_param(key: str, value) -> None:
    """Log a parameter (any scalar, stored as text) on the run of the current cell."""
    from .tracking.session import current_session

    current_session().log({key: value}, as_params=True)


def register_model(model, name: str, *, alias: str | None = None, input_example=None,
                   reason: str | None = None, var: str | None = None,
                   metrics: dict | None = None, reference=None,
                   prediction_column: str | None = None) -> dict:
    """Log ``model`` into the current run and register a new version of ``name``.

    The run is the tracked cell's (``%mlops track``), the session's, or, in a
    pipeline step, the step's; with nothing tracked, a new run in experiment
    ``models``. Works for scikit-learn estimators/pipelines and torch modules;
    the signature is inferred from ``input_example`` (required for a torch module,
    whose graph is exported from it). ``metrics`` are logged on the
    run at once, so the promotion gate can judge the version straight away.
    ``reference`` (the training frame, optionally with predictions in
    ``prediction_column``) is profiled and kept with the version for drift checks.

    Returns:
        ``{name, version, run_id, model_uri, flavor, model_id}``.
    """
    from .registry import register_model as register
    from .registry.references import is_profile
    from .tracking.session import current_session

    if reference is not None and not is_profile(reference):
        from .monitoring.references import build_profile

        reference = build_profile(reference, prediction_column=prediction_column)
    run_id = current_session().current_run_id()
    return register(model, name, run_id=run_id, input_example=input_example, alias=alias,
                    reason=reason, var=var, metrics=metrics, reference=reference)


def promote(name: str, version, alias: str = "champion", **options) -> dict:
    """Move ``alias`` of ``name`` to ``version`` through the model's promotion gate.

    Options are those of :func:`mlops_jupyter.registry.promote` (``thresholds``,
    ``metric``, ``margin``, ``force``, ``reason``); unset ones come from the gate
    declared for the model. Returns ``{promoted, verdict, entry}``.
    """
    from .registry import promote as run_gate
    from .tracking.session import current_session

    # In a pipeline step the model's declared gate is written by the runner's flusher.
    current_session().await_pipeline_writes()
    return run_gate(name, version, alias, **options)


def check_drift(reference, current, *, model: str | None = None,
                report: bool = True) -> dict:
    """Check ``current`` data for drift; recorded as a run of ``mlops-monitoring``.

    ``check_drift(reference, current)`` compares two datasets, no model needed:
    each a DataFrame or a .csv/.parquet path. ``check_drift("NAME[@ALIAS|/VERSION]",
    current)`` (a model reference first) checks against the reference profile stored
    with the model; ``check_drift(reference, current, model=...)`` checks the model
    against the given reference data instead. Verdicts are Evidently's
    ``DataDriftPreset``'s either way.

    Returns:
        ``{run_id, model, version, reference, current, result, alerts, retrain,
        performance}`` (``model``/``version`` None when no model is involved).
    """
    from .monitoring.checks import check, compare
    from .tables import SUFFIXES

    if model is None and isinstance(reference, str) \
            and not reference.lower().endswith(SUFFIXES):
        model, reference = reference, None  # check_drift("iris@champion", frame)
    if model is not None:
        return check(model, current, reference=reference, report=report, source="notebook")
    return compare(reference, current, report=report, source="notebook")


def check_live(model: str, *, last: str = "24h", report: bool = True) -> dict:
    """Check the traffic a model's endpoint served over ``last`` (``"1h"``, ``"24h"``)
    for drift, with its live health; like ``mlops drift check MODEL --serving``.

    ``model`` is ``NAME[@ALIAS|/VERSION]`` (its reference profile is the baseline).
    Returns the check (see ``check_drift``) plus ``live`` and ``live_promotion``.
    """
    from .monitoring.checks import run_check
    from .monitoring.spec import MonitorSpec, check_last
    from .registry.common import parse_model_reference

    name, ref = parse_model_reference(model)
    spec = MonitorSpec(model=name, reference_of_model=ref, serving=name,
                       last=check_last(last, "last"))
    return run_check(spec, report=report, source="notebook")


def ab_test(model: str, *, last: str = "24h", alpha: float = 0.05) -> dict:
    """Champion vs challenger (and shadow) on the live traffic of the last ``last``:
    per-variant accuracy from the feedback labels, the z-test and its verdict; like
    ``mlops models ab MODEL``. Loads no model."""
    from .serving.ab import report

    return report(model, last=last, alpha=alpha)


def load_model(uri: str):
    """Load ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` as an MLflow pyfunc model.

    Only versions whose files live in this registry's artifact store are loaded
    (loading unpickles). E.g. a batch-scoring step: ``load_model(model_uri)``.
    """
    from .registry.safety import load_model as load

    return load(uri)


def run_pipeline(path, **options):
    """Run a pipeline.yaml from a notebook with a live progress widget.

    Options are those of ``mlops pipeline run``: ``params=["step.k=v"]``,
    ``force``, ``only=[...]``, ``from_step``, ``executor``, ``dask_scheduler``,
    ``max_parallel``. Returns the finished run.
    """
    from .pipelines.widget import run_in_notebook

    return run_in_notebook(path, **options)
