"""Where a model version came from — metadata only, nothing is downloaded or loaded.

version → run → notebook (session snapshot) or pipeline step → parameters →
input data hashes → upstream steps of the same pipeline run → git commit.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import unquote, urlparse

from . import common


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _public_path(value: Any) -> Any:
    """A path as any client may see it: never absolute. Inside the mlops-jupyter home it
    is shown relative to it, elsewhere by its file name only (a ``file:`` URI too)."""
    if not isinstance(value, str) or not value:
        return value
    text = unquote(urlparse(value).path) if value.startswith("file:") else value
    if not os.path.isabs(text):
        return value
    from .. import config, paths

    relative = paths.relative_if_inside(config.home_dir(create=False), text)
    if relative is not None:
        return relative
    return os.path.basename(text.rstrip("/")) or "."


def _get_run(client, run_id: str | None):
    if not run_id:
        return None
    try:
        return client.get_run(run_id)
    except Exception:  # noqa: BLE001 - a deleted run leaves the rest of the lineage
        return None


def _snapshot(client, run) -> list[str]:
    """Artifact paths of the notebook snapshot kept on a session run (a listing)."""
    if run is None:
        return []
    try:
        return [item.path for item in client.list_artifacts(run.info.run_id, "notebook")
                if not item.is_dir]
    except Exception:  # noqa: BLE001 - listing is a hint, not a requirement
        return []


def lineage(name: str, version_or_alias: Any) -> dict[str, Any]:
    """The provenance of ``name`` at a version number or alias.

    Returns:
        ``{model, run, notebook, pipeline, parameters, data, upstream, git}``; parts
        the run does not know are None or empty.

    Raises:
        NotFoundError: unknown model, version or alias; UsageError: malformed reference.
    """
    version = common.resolve_reference(name, version_or_alias)
    client = common.client()
    vtags = dict(version.tags or {})
    run_id = version.run_id or vtags.get("mlops.lineage.run_id")
    run = _get_run(client, run_id)
    tags = dict(run.data.tags) if run else {}
    parent = _get_run(client, tags.get("mlflow.parentRunId"))
    parent_tags = dict(parent.data.tags) if parent else {}
    merged = {**parent_tags, **tags}
    model_aliases = [alias for alias, held in
                     (common.get_registered_model(name).aliases or {}).items()
                     if str(held) == str(version.version)]
    result: dict[str, Any] = {
        "model": {"name": name, "version": str(version.version), "aliases": sorted(model_aliases),
                  # The registry URI, never the artifacts' location on the server.
                  "source": f"models:/{name}/{version.version}",
                  "flavor": vtags.get("mlops.flavor"),
                  "created": version.creation_timestamp},
        "run": None if run is None else {
            "run_id": run.info.run_id, "name": run.info.run_name,
            "experiment_id": run.info.experiment_id, "status": run.info.status,
            "kind": tags.get("mlops.kind"), "metrics": dict(run.data.metrics)},
        "notebook": None, "pipeline": None,
        "parameters": {key: _public_path(value) for key, value in
                       (run.data.params if run else {}).items()},
        "data": {}, "upstream": [], "git": None,
    }
    notebook = merged.get("mlops.notebook") or vtags.get("mlops.lineage.notebook")
    if notebook:
        session = parent if parent_tags.get("mlops.kind") == "session" else (
            run if tags.get("mlops.kind") == "session" else None)
        result["notebook"] = {
            "path": _public_path(notebook), "cell": tags.get("mlops.cell.execution_count"),
            "session_run_id": session.info.run_id if session else None,
            "snapshot": _snapshot(client, session)}
    step = tags.get("mlops.step.name") or vtags.get("mlops.lineage.step")
    if step:
        pipeline_run_id = tags.get("mlops.pipeline.run_id") or \
            vtags.get("mlops.lineage.pipeline_run_id")
        result["pipeline"] = {
            "name": tags.get("mlops.pipeline.name") or vtags.get("mlops.lineage.pipeline"),
            "run_id": pipeline_run_id, "step": step,
            "notebook": _public_path(tags.get("mlops.step.notebook")),
            "output_notebook": _public_path(tags.get("mlops.step.output_notebook")),
            "cache_hit": tags.get("mlops.cache.hit") == "true"}
        if run is not None and pipeline_run_id:
            result["upstream"] = _upstream(client, run, pipeline_run_id)
    data = {key[len("mlops.data."):]: _json(value) for key, value in tags.items()
            if key.startswith("mlops.data.")}
    inputs = _json(tags.get("mlops.step.inputs"))
    if isinstance(inputs, dict):
        data.update({f"file:{_public_path(path)}": digest for path, digest in inputs.items()})
    consumed = _json(tags.get("mlops.step.upstream"))
    if isinstance(consumed, dict):
        data.update({f"{need}.{output}": digest for need, outputs in consumed.items()
                     if isinstance(outputs, dict) for output, digest in outputs.items()})
    result["data"] = data
    commit = merged.get("mlops.git.commit") or merged.get("mlflow.source.git.commit") or \
        vtags.get("mlops.lineage.git_commit")
    if commit:
        result["git"] = {"commit": commit, "branch": merged.get("mlops.git.branch"),
                         "dirty": merged.get("mlops.git.dirty") == "true"}
    return result


def _upstream(client, run, pipeline_run_id: str) -> list[dict[str, Any]]:
    """Steps of the same pipeline run whose outputs this step read (matched by hash).

    Steps record output hashes and input hashes; a sibling whose output digest
    appears among this step's input digests fed it. When none match (inputs
    declared as upstream outputs rather than files), earlier finished siblings
    are listed with ``matched: false``.
    """
    safe_id = str(pipeline_run_id).replace("'", "")
    try:
        siblings = client.search_runs(
            [run.info.experiment_id],
            filter_string=f"tags.`mlops.pipeline.run_id` = '{safe_id}' "
                          "AND tags.`mlops.kind` = 'step'", max_results=500)
    except Exception:  # noqa: BLE001 - lineage stays useful without the upstream part
        return []
    recorded = _json(run.data.tags.get("mlops.step.upstream"))
    if isinstance(recorded, dict):
        return _ancestors(run, siblings, recorded)
    my_inputs = _json(run.data.tags.get("mlops.step.inputs"))
    wanted = set(my_inputs.values()) if isinstance(my_inputs, dict) else set()
    matched, earlier = [], []
    for sibling in siblings:
        if sibling.info.run_id == run.info.run_id:
            continue
        outputs = _json(sibling.data.tags.get("mlops.step.outputs"))
        entry = {"step": sibling.data.tags.get("mlops.step.name"),
                 "run_id": sibling.info.run_id,
                 "outputs": outputs if isinstance(outputs, dict) else {}}
        digests = set(entry["outputs"].values())
        if wanted & digests:
            matched.append({**entry, "matched": True})
        elif (sibling.info.end_time or 0) and sibling.info.end_time <= run.info.start_time:
            earlier.append({**entry, "matched": False})
    chosen = matched or earlier
    return sorted(chosen, key=lambda item: str(item["step"]))


def _ancestors(run, siblings: list, recorded: dict) -> list[dict[str, Any]]:
    """Every step upstream of ``run``, transitively, from the recorded needs."""
    by_step = {sibling.data.tags.get("mlops.step.name"): sibling for sibling in siblings
               if sibling.info.run_id != run.info.run_id}
    found: dict[str, dict[str, Any]] = {}
    queue = list(recorded)
    while queue:
        step = queue.pop(0)
        sibling = by_step.get(step)
        if step in found or sibling is None:
            continue
        needs = _json(sibling.data.tags.get("mlops.step.upstream"))
        needs = list(needs) if isinstance(needs, dict) else []
        outputs = _json(sibling.data.tags.get("mlops.step.outputs"))
        found[step] = {"step": step, "run_id": sibling.info.run_id,
                       "outputs": outputs if isinstance(outputs, dict) else {},
                       "needs": needs, "direct": step in recorded, "matched": True,
                       "started": sibling.info.start_time or 0}
        queue.extend(needs)
    ordered = sorted(found.values(), key=lambda item: (item.pop("started"), item["step"]))
    return ordered


def render_tree(info: dict[str, Any]) -> str:
    """An indented text tree of a :func:`lineage` result (for the CLI)."""
    model = info["model"]
    badge = f" [{', '.join(model['aliases'])}]" if model.get("aliases") else ""
    lines = [f"{model['name']} v{model['version']}{badge} ({model.get('flavor') or '?'})"]

    def add(depth: int, text: str) -> None:
        lines.append("  " * depth + "└─ " + text)

    run = info.get("run")
    if run is None:
        add(1, "run: unknown (deleted or not recorded)")
    else:
        add(1, f"run {run['run_id']} {run.get('name') or ''} ({run.get('status')})".rstrip())
    notebook = info.get("notebook")
    if notebook:
        cell = f", cell [{notebook['cell']}]" if notebook.get("cell") else ""
        add(2, f"notebook {notebook['path']}{cell}")
        for path in notebook.get("snapshot") or []:
            add(3, f"snapshot {path}")
    pipeline = info.get("pipeline")
    if pipeline:
        add(2, f"pipeline {pipeline.get('name') or '?'} run {pipeline.get('run_id')} "
               f"step {pipeline['step']}")
        for item in info.get("upstream") or []:
            needs = f" <- {', '.join(item['needs'])}" if item.get("needs") else ""
            add(3, f"upstream step {item['step']} (run {item['run_id']}){needs}")
    if info.get("parameters"):
        add(2, "parameters")
        for key, value in sorted(info["parameters"].items()):
            add(3, f"{key} = {value}")
    if info.get("data"):
        add(2, "input data")
        for key, value in sorted(info["data"].items()):
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            add(3, f"{key}: {text[:120]}")
    git = info.get("git")
    if git:
        dirty = " (dirty)" if git.get("dirty") else ""
        add(2, f"git {git['commit']}{' on ' + git['branch'] if git.get('branch') else ''}{dirty}")
    return "\n".join(lines)
