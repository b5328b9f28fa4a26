"""Log a trained model with the right flavor and register it as a new version.

The model is logged through :class:`mlflow.MlflowClient` (a LoggedModel tied to
the run) instead of the fluent ``mlflow.<flavor>.log_model``: the fluent API
resolves the experiment and tracking URI from process-global state, so from a
kernel it would put artifacts in experiment ``0`` under ``./mlruns``.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import config, mlflow_errors, names
from ..exceptions import NotFoundError, UsageError
from ..mlflow_errors import translated
from ..tracking import store
from . import common, flavors, references, serialization
from .aliases import set_alias

DEFAULT_EXPERIMENT = "models"
# Tags of the producing run copied onto the version, so lineage survives even when
# the run's parent (where git state may live) is later deleted.
LINEAGE_TAGS = {
    "mlops.notebook": "mlops.lineage.notebook",
    "mlops.step.name": "mlops.lineage.step",
    "mlops.step.notebook": "mlops.lineage.step_notebook",
    "mlops.pipeline.name": "mlops.lineage.pipeline",
    "mlops.pipeline.run_id": "mlops.lineage.pipeline_run_id",
    "mlops.git.commit": "mlops.lineage.git_commit",
    "mlflow.source.git.commit": "mlops.lineage.git_commit",
}


def register_model(model: Any, name: str, *, run_id: str | None = None,
                   experiment: str | None = None, input_example: Any = None,
                   alias: str | None = None, reason: str | None = None,
                   var: str | None = None,
                   metrics: dict[str, float] | None = None,
                   reference: references.Profile | None = None) -> dict[str, Any]:
    """Log ``model`` and register it as a new version of ``name``.

    Args:
        model: a fitted scikit-learn estimator/pipeline or a torch ``nn.Module``.
        name: registered model name (created on first use).
        run_id: log into this run (e.g. the current tracked cell run).
        experiment: when ``run_id`` is None, a new run is made in this experiment
            (default ``models``).
        input_example: a sample input; the signature is inferred from it and the
            model's prediction on it. Required for a torch module, whose graph is
            exported from it (see :mod:`.serialization`).
        alias: move this alias to the new version (recorded in the alias history).
        reason: why, for the alias history.
        var: the variable name the model came from, for error messages.
        metrics: numbers to log on the run right away (not through the journal), so
            the gate can judge the new version at once, e.g. from a pipeline step.
        reference: the reference profile of the training data, stored with the
            version for later drift checks; built from a frame by
            :func:`mlops_jupyter.monitoring.references.build_profile` (which
            :func:`mlops_jupyter.register_model` does for you).

    Returns:
        ``{name, version, run_id, model_uri, flavor, model_id}``.

    Raises:
        UsageError: not a model, unsupported type, bad name or alias; a model that
            could not be loaded back safely (:mod:`.serialization`).
        NotFoundError: ``run_id`` does not exist.
    """
    flavor = flavors.detect_flavor(model, var)
    names.check_model_name(name)
    if alias is not None:
        names.check_alias(alias)
    if experiment is not None:
        names.check_experiment_name(experiment)
    metrics = _metrics(metrics)
    if reference is not None:
        references.check_profile(reference)
    # Decided before anything is written: a model that could not be loaded back
    # safely is refused with one line, leaving no run or logged model behind.
    options = serialization.save_options(model, flavor, var or f"the {type(model).__name__}",
                                         input_example)
    client = common.client()
    own_run = run_id is None
    run = _new_run(client, experiment) if own_run else _get_run(client, run_id)
    run_id = run.info.run_id
    try:
        with translated("cannot log the model's metrics"):
            for key, value in metrics.items():
                client.log_metric(run_id, key, value)
        signature = _signature(model, flavor, input_example)
        logged = _log_model(client, run, model, flavor, name, signature, input_example,
                            options)
        store.ensure_registered_model(client, name)
        tags = {"mlops.flavor": flavor, "mlops.registered_by": config.current_user(),
                **_lineage_tags(client, run)}
        with translated(f"cannot register a version of {name!r}"):
            # The storage location, not ``models:/<model_id>``: MLflow's SQL registry
            # resolves that form through the process-global tracking URI (a TODO in
            # mlflow/store/model_registry/sqlalchemy_store.py), i.e. the wrong store.
            version = client.create_model_version(
                name, source=logged.artifact_location, run_id=run_id, tags=tags,
                model_id=logged.model_id)
    except BaseException:
        if own_run:
            client.set_terminated(run_id, "FAILED")
        raise
    if own_run:
        client.set_terminated(run_id, "FINISHED")
    result = {"name": name, "version": str(version.version), "run_id": run_id,
              "model_uri": f"models:/{name}/{version.version}", "flavor": flavor,
              "model_id": logged.model_id}
    if reference is not None:
        references.store_profile(version, reference)
        result["reference_profile"] = True
    if alias is not None:
        set_alias(name, alias, version.version, reason=reason or "registered")
        result["alias"] = alias
    return result


def _metrics(metrics: Any) -> dict[str, float]:
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise UsageError("metrics must be a mapping of names to numbers")
    out = {}
    for key, value in metrics.items():
        names.check_tracked_key(key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"metric {key!r} is not a number: {str(value)[:40]!r}") from None
        if math.isnan(number):
            raise UsageError(f"metric {key!r} is NaN")
        out[key] = number
    return out


def _get_run(client, run_id: str):
    from mlflow.exceptions import MlflowException

    if not isinstance(run_id, str) or not run_id.strip():
        raise UsageError("run_id must be a non-empty string")
    try:
        return client.get_run(run_id)
    except MlflowException as exc:
        if mlflow_errors.is_not_found(exc) or mlflow_errors.is_invalid_parameter(exc):
            raise NotFoundError(f"no run with id {run_id[:64]!r}") from None
        raise mlflow_errors.to_error(exc, "cannot read the run") from None


def _new_run(client, experiment: str | None):
    experiment_id = store.get_or_create_experiment(experiment or DEFAULT_EXPERIMENT)
    with translated("cannot create a run for the model"):
        return client.create_run(experiment_id, run_name="register model",
                                 tags={"mlops.kind": "register"})


def _signature(model: Any, flavor: str, input_example: Any):
    if input_example is None:
        return None
    from mlflow.models import infer_signature

    try:
        if flavor == flavors.PYTORCH:
            import torch

            tensor = input_example if isinstance(input_example, torch.Tensor) \
                else torch.as_tensor(input_example)
            with torch.no_grad():
                output = model(tensor)
            return infer_signature(tensor.numpy(), output.detach().numpy())
        return infer_signature(input_example, model.predict(input_example))
    except Exception as exc:  # noqa: BLE001 - any failure here is the user's example
        raise UsageError(f"cannot infer a signature from the input example: "
                         f"{type(exc).__name__}: {str(exc)[:200]}") from None


def _pip_requirements(flavor: str) -> list[str]:
    # Given explicitly: MLflow's inference loads the model in a subprocess (seconds).
    # What loading needs: the library, and its serializer (skops for scikit-learn,
    # cloudpickle for mlflow.pytorch's pickle module).
    from importlib.metadata import version

    packages = ["scikit-learn", "skops"] if flavor == flavors.SKLEARN \
        else ["torch", "cloudpickle"]
    return [f"{package}=={version(package)}" for package in [*packages, "mlflow"]]


def _log_model(client, run, model, flavor, name, signature, input_example, options):
    from mlflow.entities import LoggedModelOutput
    from mlflow.models import Model

    with translated("cannot create the logged model"):
        logged = client.create_logged_model(
            run.info.experiment_id, name=name, source_run_id=run.info.run_id,
            tags={"mlops.flavor": flavor}, model_type=flavor)
    try:
        meta = Model(artifact_path=logged.artifact_location, model_uuid=logged.model_id,
                     run_id=run.info.run_id, model_id=logged.model_id)
        with tempfile.TemporaryDirectory(prefix="mlops-model-") as tmp:
            path = str(Path(tmp) / "model")
            example = _numpy_example(input_example, flavor)
            kwargs = {"signature": signature, "input_example": example,
                      "pip_requirements": _pip_requirements(flavor), "mlflow_model": meta}
            serialization.save_model(model, flavor, path, options, **kwargs)
            with translated("cannot store the model artifacts"):
                client.log_model_artifacts(logged.model_id, path)
        client.finalize_logged_model(logged.model_id, "READY")
        client.log_outputs(run.info.run_id, [LoggedModelOutput(logged.model_id, step=0)])
    except BaseException:
        try:
            client.finalize_logged_model(logged.model_id, "FAILED")
        except Exception:  # noqa: BLE001, S110 - keep the original error
            pass
        raise
    return logged


def _numpy_example(input_example: Any, flavor: str) -> Any:
    if input_example is None or flavor != flavors.PYTORCH:
        return input_example
    import torch

    if isinstance(input_example, torch.Tensor):
        return input_example.detach().numpy()
    return input_example


def _lineage_tags(client, run) -> dict[str, str]:
    tags = dict(run.data.tags)
    parent_id = tags.get("mlflow.parentRunId")
    if parent_id:  # a cell run: the session run holds git state and the notebook
        try:
            parent = client.get_run(parent_id).data.tags
        except Exception:  # noqa: BLE001 - lineage hints are best effort
            parent = {}
        tags = {**parent, **tags}
    out = {"mlops.lineage.run_id": run.info.run_id,
           "mlops.lineage.registered_at": str(int(time.time() * 1000))}
    for source, target in LINEAGE_TAGS.items():
        if tags.get(source) and target not in out:
            out[target] = tags[source][:5000]
    if parent_id:
        out["mlops.lineage.parent_run_id"] = parent_id
    return out
