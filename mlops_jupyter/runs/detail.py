"""One run, as the Run view shows it: the listing's fields plus its tags, parent and
children, metric histories, cell source or step notebook, error with traceback, data
fingerprints, git state, environment, artifacts, the model versions it produced and
what it belongs to (job, pipeline run, drift check).

Only metadata and text artifacts are read; a model is never loaded here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .. import mlflow_errors, names, paths
from ..exceptions import NotFoundError, UsageError
from ..tracking import queries, store
from . import artifacts

#: At most this many points per metric (evenly downsampled, last point kept).
MAX_POINTS = 1000
#: At most this many metric histories are read.
MAX_METRIC_KEYS = 200
#: At most this many children are listed.
MAX_CHILDREN = 500
#: The git diff and the cell source are cut to this many characters.
MAX_DIFF_CHARS = 200_000
MAX_SOURCE_CHARS = 200_000
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
SOURCE_ARTIFACT = "cell/source.py"
DIFF_ARTIFACT = "git/diff.patch"
REQUIREMENTS_ARTIFACT = "environment/requirements.txt"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def check_run_id(run_id: Any) -> str:
    """``run_id`` when it can be an MLflow run id (names.py's rule).

    Raises:
        UsageError: anything else.
    """
    if not isinstance(run_id, str) or not run_id:
        raise UsageError("run id takes letters, digits, '-' and '_' (at most 64)")
    return names.check_run_id(run_id)


def get_run(client, run_id: str):
    """The MLflow run ``run_id``.

    Raises:
        UsageError: a malformed id; NotFoundError: no such (active) run.
    """
    check_run_id(run_id)
    try:
        run = client.get_run(run_id)
    except Exception as exc:
        if mlflow_errors.is_not_found(exc) or mlflow_errors.is_invalid_parameter(exc):
            raise NotFoundError(f"run {run_id} does not exist") from None
        raise mlflow_errors.to_error(exc, "cannot read the run") from exc
    if run.info.lifecycle_stage != "active":
        raise NotFoundError(f"run {run_id} is deleted")
    return run


def run_detail(run_id: str, root: Path | str | None = None) -> dict[str, Any]:
    """Everything the Run view shows about ``run_id`` (see :class:`.contracts.RunDetail`).

    Args:
        run_id: an MLflow run id.
        root: the server root; an executed step notebook inside it is named relative
            to it (``output_notebook``).

    Raises:
        UsageError: a malformed id; NotFoundError: no such run.
    """
    client = store.client()
    run = get_run(client, run_id)
    tags = dict(run.data.tags)
    detail = queries.run_dict(run)
    detail["child_count"] = queries.child_counts(client, [run_id]).get(run_id, 0)
    detail["experiment_name"] = _experiment_name(client, run.info.experiment_id)
    detail["tags"] = shown_tags(tags)
    detail["parent"] = _parent(client, tags.get(queries.PARENT_RUN_TAG))
    detail["children"] = _children(run.info.experiment_id, run_id) \
        if detail["child_count"] else []
    detail["metric_history"] = _metric_history(client, run_id, list(run.data.metrics))
    listing = artifacts.list_all(client, run_id)
    detail["artifacts"] = listing
    files = {entry["path"] for entry in listing if not entry["is_dir"]}
    detail["notebooks"] = sorted(path for path in files if path.endswith(".ipynb"))
    detail["source"] = _text(client, run_id, SOURCE_ARTIFACT, files, MAX_SOURCE_CHARS)
    detail["output_notebook"] = _workspace_notebook(root, tags.get("mlops.step.output_notebook"))
    detail["error_detail"] = _error(client, run_id, tags, detail["notebooks"], run.info.status)
    detail["fingerprints"] = {key[len("mlops.data."):]: value for key, value in tags.items()
                              if key.startswith("mlops.data.")}
    detail["git"] = _git(client, run_id, tags, files)
    detail["environment"] = _environment(client, run_id, tags, files)
    detail["model_versions"] = _model_versions(client, run_id)
    detail["related"] = _related(tags, detail)
    return detail


#: Tag names that look like credentials; such tags (outside mlops.* and mlflow.*)
#: are left out of the detail.
_SECRET_TAG = re.compile(r"(token|passw(or)?d|secret|credential|api[_-]?key|auth)", re.IGNORECASE)


def shown_tags(tags: dict[str, str]) -> dict[str, str]:
    """The run's tags for display: every ``mlops.*`` and ``mlflow.*`` tag, and the
    others unless their name looks like a credential."""
    return {key: value for key, value in tags.items()
            if key.startswith(("mlops.", "mlflow.")) or not _SECRET_TAG.search(key)}


def workspace_notebook(root: Path | str | None, run) -> str | None:
    """The executed step notebook of ``run`` inside ``root``, relative to it, or None."""
    return _workspace_notebook(root, run.data.tags.get("mlops.step.output_notebook"))


def _workspace_notebook(root, relative: str | None) -> str | None:
    if not root or not relative:
        return None
    found = paths.inside(root, relative, parent_refs=False)
    return paths.relative_to_root(root, found) if found is not None and found.is_file() \
        else None


def _experiment_name(client, experiment_id: str) -> str | None:
    try:
        return client.get_experiment(experiment_id).name
    except Exception:  # noqa: BLE001 - the name is a nicety; the run was read
        return None


def _parent(client, parent_id: str | None) -> dict[str, Any] | None:
    if not parent_id or not names.is_run_id(parent_id):
        return None
    try:
        parent = client.get_run(parent_id)
    except Exception:  # noqa: BLE001 - a parent deleted since: shown as absent
        return None
    return queries.run_dict(parent)


def _children(experiment_id: str, run_id: str) -> list[dict[str, Any]]:
    page = queries.list_runs(experiment_id, parent=run_id, max_results=MAX_CHILDREN)
    return page["runs"]


def downsample(points: list[dict[str, Any]], limit: int = MAX_POINTS) -> list[dict[str, Any]]:
    """At most ``limit`` of ``points`` (ordered by step), evenly spread, first and last
    kept."""
    if len(points) <= limit:
        return points
    stride = (len(points) - 1) / (limit - 1)
    return [points[round(index * stride)] for index in range(limit)]


def _metric_history(client, run_id: str, keys: list[str]) -> dict[str, list[dict[str, Any]]]:
    history = {}
    for key in sorted(keys)[:MAX_METRIC_KEYS]:
        try:
            values = client.get_metric_history(run_id, key)
        except Exception as exc:
            raise mlflow_errors.to_error(exc, "cannot read the metric history") from exc
        points = sorted(({"step": metric.step, "value": metric.value,
                          "timestamp": metric.timestamp} for metric in values),
                        key=lambda point: (point["step"], point["timestamp"]))
        history[key] = downsample(points)
    return history


def _text(client, run_id: str, path: str, files: set[str], limit: int) -> str | None:
    if path not in files:
        return None
    found = artifacts.read_text(client, run_id, path, limit)
    return found[0] if found else None


def _error(client, run_id: str, tags: dict[str, str], notebooks: list[str],
           status: str) -> dict[str, Any] | None:
    error_type = tags.get("mlops.error.type") or tags.get("mlops.error.ename")
    message = tags.get("mlops.error.message") or tags.get("mlops.error.evalue")
    if not error_type and not message:
        return None
    error = {"type": error_type, "message": message,
             "cell_index": _int(tags.get("mlops.error.cell_index")),
             "execution_count": _int(tags.get("mlops.error.execution_count")),
             "traceback": None}
    # A step's executed notebook holds the failing cell's error output.
    for path in notebooks:
        traceback = _notebook_traceback(client, run_id, path)
        if traceback:
            error["traceback"] = traceback
            break
    return error


def _notebook_traceback(client, run_id: str, path: str) -> str | None:
    try:
        data = artifacts.read_bytes(client, run_id, path, MAX_NOTEBOOK_BYTES)
        notebook = json.loads(data)
    except (ValueError, NotFoundError, artifacts.ArtifactTooLargeError):
        return None
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                lines = output.get("traceback") or []
                text = "\n".join(_ANSI.sub("", str(line)) for line in lines)
                return text[:MAX_SOURCE_CHARS] or None
    return None


def _int(value: str | None) -> int | None:
    return int(value) if names.is_decimal(value) and len(value) < 10 else None


def _git(client, run_id: str, tags: dict[str, str], files: set[str]) -> dict[str, Any] | None:
    if not any(key.startswith("mlops.git.") for key in tags) and DIFF_ARTIFACT not in files:
        return None
    diff = artifacts.read_text(client, run_id, DIFF_ARTIFACT, MAX_DIFF_CHARS) \
        if DIFF_ARTIFACT in files else None
    dirty = tags.get("mlops.git.dirty")
    return {"commit": tags.get("mlops.git.commit") or tags.get("mlflow.source.git.commit"),
            "branch": tags.get("mlops.git.branch"),
            "dirty": None if dirty is None else dirty.lower() == "true",
            "diff": diff[0] if diff else None,
            "diff_truncated": bool(diff and diff[1])
            or tags.get("mlops.git.diff_truncated", "").lower() == "true"}


def _environment(client, run_id: str, tags: dict[str, str],
                 files: set[str]) -> dict[str, Any] | None:
    env = {key[len("mlops.env."):]: value for key, value in tags.items()
           if key.startswith("mlops.env.")}
    if not env and REQUIREMENTS_ARTIFACT not in files:
        return None
    packages = {name: version for name, version in env.items()
                if name not in ("python", "platform", "executable")}
    found = artifacts.read_text(client, run_id, REQUIREMENTS_ARTIFACT, 2_000_000) \
        if REQUIREMENTS_ARTIFACT in files else None
    for line in (found[0].splitlines() if found else []):
        name, separator, version = line.strip().partition("==")
        if separator and name:
            packages[name] = version
    return {"python": env.get("python"), "platform": env.get("platform"),
            "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower()))}


def _model_versions(client, run_id: str) -> list[dict[str, Any]]:
    try:
        versions = client.search_model_versions(f"run_id = '{run_id}'")
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list the run's model versions") from exc
    return sorted(({"name": version.name, "version": str(version.version),
                    "aliases": list(getattr(version, "aliases", None) or [])}
                   for version in versions), key=lambda v: (v["name"], int(v["version"])))


def _related(tags: dict[str, str], detail: dict[str, Any]) -> list[dict[str, str]]:
    related = []
    if detail.get("job_id") is not None:
        related.append({"kind": "job", "id": str(detail["job_id"]),
                        "label": f"scheduler job {detail['job_id']}"})
    pipeline_run = tags.get(queries.PIPELINE_RUN_TAG)
    if pipeline_run:
        owner = detail["run_id"] if detail.get("kind") == "pipeline" \
            else detail.get("parent_run_id") or detail["run_id"]
        related.append({"kind": "pipeline", "id": owner,
                        "label": f"pipeline {tags.get(queries.PIPELINE_TAG) or ''} "
                                 f"run {pipeline_run}".replace("  ", " ")})
    if detail.get("kind") == "monitor":
        model, version = tags.get("mlops.monitor.model"), tags.get("mlops.monitor.version")
        label = f"drift check of {model} v{version}" if model else "drift check"
        related.append({"kind": "drift_check", "id": detail["run_id"], "label": label})
    if detail.get("cached_from_run_id"):
        related.append({"kind": "cached_from", "id": detail["cached_from_run_id"],
                        "label": "outputs produced by this run"})
    return related
