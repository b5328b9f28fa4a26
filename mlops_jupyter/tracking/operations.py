"""Tracking events and how each one is applied to the MLflow store.

An event is a plain JSON-able dict, so it can be journaled and replayed by another
process. Runs are named by a client-side ``key`` (the MLflow run id is unknown until
the store creates the run); the writer keeps the key → run id bindings.

Applying is idempotent when ``uncertain`` is set (the previous attempt of this
event may have reached the store before failing): a run is looked up by its
``mlops.run_key`` tag before being created again, and metric points already in the
run's history are not logged twice. Params, tags and artifacts overwrite with the
same content, and terminating a run twice is harmless.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from .. import mlflow_errors
from ..exceptions import StoreRejectedError, StoreUnavailableError
from . import capture, store
from .gitstate import read_git_state

RUN_KEY_TAG = "mlops.run_key"
_BATCH_LIMITS = {"metrics": 1000, "params": 100, "tags": 100}


def now_ms() -> int:
    return int(time.time() * 1000)


def find_run_by_key(client, experiment_id: str, key: str) -> str | None:
    """The id of the run tagged with client-side ``key`` in ``experiment_id``, or None.

    Keys are our own hex uuids, so they are safe inside the filter.
    """
    runs = client.search_runs([experiment_id], filter_string=f"tags.`{RUN_KEY_TAG}` = '{key}'",
                              max_results=1)
    return runs[0].info.run_id if runs else None


# ---------------------------------------------------------------- constructors
def start_run(key: str, experiment: str, *, name: str | None, parent: str | None,
              tags: dict[str, str], collect: tuple[str, ...] = (),
              cwd: str | None = None) -> dict[str, Any]:
    """Create run ``key`` in ``experiment`` (child of run ``parent`` when given).

    ``collect`` names facts the writer gathers off the cell's thread before the
    event is journaled: ``"git"`` (commit, dirty flag, diff) and ``"environment"``
    (Python and package versions; the full package list for session runs). Git
    state is read in ``cwd`` (default: the current directory).
    """
    return {"op": "start_run", "key": key, "experiment": experiment, "name": name,
            "parent": parent, "start_ms": now_ms(), "tags": tags, "collect": list(collect),
            "cwd": cwd or os.getcwd()}


def log(key: str, *, params: dict[str, str] | None = None,
        metrics: dict[str, list[tuple[float, int, int]]] | None = None,
        tags: dict[str, str] | None = None, experiment: str | None = None) -> dict[str, Any]:
    """Log params, metric points ``(value, timestamp_ms, step)`` and tags on run ``key``.

    ``experiment`` names where to look for run ``key`` when another process created
    it (a pipeline step's kernel logging on the run its runner opened).
    """
    event = {"op": "log", "key": key, "params": params or {}, "metrics": metrics or {},
             "tags": tags or {}}
    if experiment is not None:
        event["experiment"] = experiment
    return event


def artifact_text(key: str, path: str, text: str) -> dict[str, Any]:
    """Store ``text`` as artifact ``path`` of run ``key``."""
    return {"op": "artifact_text", "key": key, "path": path, "text": text}


def artifact_file(key: str, file: Path, artifact_dir: str | None = None,
                  keep: bool = False) -> dict[str, Any]:
    """Upload ``file`` into run ``key``'s artifacts.

    Unless ``keep``, the file is a private copy made for the upload and is deleted
    once stored.
    """
    return {"op": "artifact_file", "key": key, "file": str(file), "artifact_dir": artifact_dir,
            "keep": keep}


def end_run(key: str, status: str) -> dict[str, Any]:
    """Terminate run ``key`` with MLflow status FINISHED, FAILED or KILLED."""
    return {"op": "end_run", "key": key, "status": status, "end_ms": now_ms()}


def model_tag(model: str, tag: str, value: str) -> dict[str, Any]:
    """Set tag ``tag`` of registered model ``model`` (created when missing).

    A pipeline declares its models' gates this way: written in journal order, so
    before any run the pipeline opens after it (see pipelines.runner).
    """
    return {"op": "model_tag", "model": model, "tag": tag, "value": value}


# ------------------------------------------------------------------ enrichment
def expand(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Resolve ``collect`` requests into tags and artifact events (runs subprocesses)."""
    wanted = event.pop("collect", None)
    if not wanted:
        return [event]
    extra: list[dict[str, Any]] = []
    if "environment" in wanted:
        event["tags"].update(capture.environment_tags())
        if event["tags"].get("mlops.kind") == "session":
            extra.append(artifact_text(event["key"], "environment/requirements.txt",
                                       capture.installed_packages()))
    if "git" in wanted:
        state = read_git_state(event.get("cwd") or os.getcwd())
        if state is not None:
            event["tags"].update(state.tags())
            if state.diff:
                extra.append(artifact_text(event["key"], "git/diff.patch", state.diff))
    return [event, *extra]


# -------------------------------------------------------------------- applying
class Applier:
    """Applies events to one tracking store, remembering experiments and run ids."""

    def __init__(self, uri: str, bindings: dict[str, str] | None = None):
        self.uri = uri
        self.run_ids: dict[str, str] = dict(bindings or {})
        self._experiment_ids: dict[str, str] = {}

    def apply(self, event: dict[str, Any], uncertain: bool = False) -> str | None:
        """Apply one event; returns the new run id for ``start_run`` events.

        Raises:
            StoreUnavailableError: the store did not answer; retry later.
            StoreRejectedError: the store refused the event for good.
        """
        handler = getattr(self, f"_{event['op']}", None)
        if handler is None:
            raise StoreRejectedError(f"unknown tracking event {event['op']!r}")
        try:
            return handler(event, uncertain)
        except (StoreRejectedError, KeyError) as exc:
            if isinstance(exc, KeyError):
                raise StoreRejectedError(
                    f"run of event key {event.get('key')} was never created") from None
            raise
        except Exception as exc:
            raise mlflow_errors.to_error(exc, f"writing {event['op']}") from exc

    def _client(self):
        return store.client(self.uri)

    def _find_run(self, key: str, experiment: str) -> str | None:
        return find_run_by_key(self._client(), self._experiment_id(experiment), key)

    def _run_id(self, event: dict[str, Any]) -> str:
        """The run of ``event``; runs created by another process are looked up by key."""
        key = event["key"]
        if key in self.run_ids:
            return self.run_ids[key]
        if event.get("experiment"):
            found = self._find_run(key, event["experiment"])
            if found is None:  # its creator has not written it yet: try again later
                raise StoreUnavailableError(f"run {key[:8]} is not in the store yet")
            self.run_ids[key] = found
            return found
        raise KeyError(key)

    def _experiment_id(self, name: str) -> str:
        if name not in self._experiment_ids:
            self._experiment_ids[name] = store.get_or_create_experiment(name, self.uri)
        return self._experiment_ids[name]

    def _start_run(self, event: dict[str, Any], uncertain: bool) -> str:
        key = event["key"]
        if key in self.run_ids:  # replayed after it was bound
            return self.run_ids[key]
        experiment_id = self._experiment_id(event["experiment"])
        client = self._client()
        if uncertain:
            existing = find_run_by_key(client, experiment_id, key)
            if existing:
                self.run_ids[key] = existing
                return existing
        tags = dict(event["tags"], **{RUN_KEY_TAG: key})
        if event.get("parent"):
            tags["mlflow.parentRunId"] = self.run_ids[event["parent"]]
        for tag, other_key in (event.get("resolve_tags") or {}).items():
            found = self.run_ids.get(other_key) or self._find_run(other_key, event["experiment"])
            if found:
                tags[tag] = found
        run = client.create_run(experiment_id, start_time=event["start_ms"], tags=tags,
                                run_name=event.get("name"))
        self.run_ids[key] = run.info.run_id
        return run.info.run_id

    def _log(self, event: dict[str, Any], uncertain: bool) -> None:
        from mlflow.entities import Metric, Param, RunTag

        run_id = self._run_id(event)
        client = self._client()
        metrics = []
        for name, points in event["metrics"].items():
            seen = set()
            if uncertain:
                seen = {(m.value, m.timestamp, m.step)
                        for m in client.get_metric_history(run_id, name)}
            metrics += [Metric(name, float(value), int(ts), int(step))
                        for value, ts, step in points
                        if (float(value), int(ts), int(step)) not in seen]
        params = [Param(k, str(v)) for k, v in event["params"].items()]
        tags = [RunTag(k, str(v)[:8000]) for k, v in event["tags"].items()]
        # MLflow caps each kind per batch; send in as many batches as needed.
        while metrics or params or tags:
            client.log_batch(run_id, metrics=metrics[: _BATCH_LIMITS["metrics"]],
                             params=params[: _BATCH_LIMITS["params"]],
                             tags=tags[: _BATCH_LIMITS["tags"]], synchronous=True)
            metrics = metrics[_BATCH_LIMITS["metrics"]:]
            params = params[_BATCH_LIMITS["params"]:]
            tags = tags[_BATCH_LIMITS["tags"]:]

    def _artifact_text(self, event: dict[str, Any], uncertain: bool) -> None:
        self._client().log_text(self._run_id(event), event["text"], event["path"])

    def _artifact_file(self, event: dict[str, Any], uncertain: bool) -> None:
        file = Path(event["file"])
        if not file.exists():
            if uncertain:  # stored and cleaned up by the attempt that then failed
                return
            raise StoreRejectedError(f"artifact file {file.name} disappeared before upload")
        self._client().log_artifact(self._run_id(event), str(file),
                                    event.get("artifact_dir"))

    def _model_tag(self, event: dict[str, Any], uncertain: bool) -> None:
        from .store import ensure_registered_model

        client = self._client()
        ensure_registered_model(client, event["model"])
        client.set_registered_model_tag(event["model"], event["tag"], event["value"])

    def _end_run(self, event: dict[str, Any], uncertain: bool) -> None:
        self._client().set_terminated(self._run_id(event), event["status"],
                                      end_time=event["end_ms"])
