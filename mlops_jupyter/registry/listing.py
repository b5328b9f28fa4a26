"""Browse the registry: models, their versions, metrics and aliases — metadata only.

Nothing here downloads or loads a model. The listing costs a fixed number of
MLflow calls however many versions there are: one page-walk of registered models,
one of model versions, one of experiments, and one run search per
:data:`RUN_BATCH` distinct runs (``attributes.run_id IN (...)``), instead of one
``get_run`` per version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..mlflow_errors import translated
from . import aliases, common
from .policy import policy_from_tags

RUN_BATCH = 100
MODEL_PAGE = 1000
VERSION_PAGE = 10_000
GATE_TAG = "mlops.gate.last_verdict"


def _all_pages(search, **kwargs) -> list:
    items, token = [], None
    while True:
        page = search(page_token=token, **kwargs)
        items.extend(page)
        token = page.token
        if not token:
            return items


def _experiment_ids(client) -> list[str]:
    from mlflow.entities import ViewType

    return [experiment.experiment_id for experiment in
            _all_pages(client.search_experiments, view_type=ViewType.ALL, max_results=1000)]


def _run_summaries(client, run_ids: set[str]) -> dict[str, dict[str, Any]]:
    """``run_id -> {metrics, status, name, experiment_id}`` in batched searches."""
    if not run_ids:
        return {}
    from mlflow.entities import ViewType

    experiment_ids = _experiment_ids(client)
    if not experiment_ids:
        return {}
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(run_ids)
    for start in range(0, len(ordered), RUN_BATCH):
        batch = ordered[start:start + RUN_BATCH]
        # Run ids are hex; anything else never reaches the filter string.
        quoted = ", ".join(f"'{run_id}'" for run_id in batch if run_id.isalnum())
        if not quoted:
            continue
        runs = _all_pages(client.search_runs, experiment_ids=experiment_ids,
                          filter_string=f"attributes.run_id IN ({quoted})",
                          run_view_type=ViewType.ALL, max_results=len(batch))
        for run in runs:
            found[run.info.run_id] = {
                "metrics": dict(run.data.metrics), "run_status": run.info.status,
                "run_name": run.info.run_name, "experiment_id": run.info.experiment_id}
    return found


def _gate(tags: dict[str, str]) -> dict[str, Any] | None:
    text = tags.get(GATE_TAG)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _version_entry(version, alias_map: dict[str, str], runs: dict[str, dict[str, Any]],
                   deployed: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    tags = dict(version.tags or {})
    run_id = version.run_id or tags.get("mlops.lineage.run_id")
    run = runs.get(run_id or "", {})
    number = str(version.version)
    return {
        "version": number,
        "run_id": run_id,
        "run_name": run.get("run_name"),
        "run_status": run.get("run_status"),
        "experiment_id": run.get("experiment_id"),
        "status": version.status,
        "created": version.creation_timestamp,
        "updated": version.last_updated_timestamp,
        "description": version.description or "",
        "flavor": tags.get("mlops.flavor"),
        "metrics": run.get("metrics", {}),
        "aliases": sorted(alias for alias, held in alias_map.items() if held == number),
        "gate": _gate(tags),
        "deployed": deployed.get(number, []),
    }


def _model_entry(model, versions: list, runs: dict[str, dict[str, Any]],
                 deployed: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    alias_map = {alias: str(held) for alias, held in (model.aliases or {}).items()}
    policy = policy_from_tags(dict(model.tags or {}))
    ordered = sorted(versions, key=lambda version: int(version.version), reverse=True)
    return {
        "name": model.name,
        "description": model.description or "",
        "created": model.creation_timestamp,
        "updated": model.last_updated_timestamp,
        "aliases": alias_map,
        "latest_version": str(ordered[0].version) if ordered else None,
        "versions": [_version_entry(version, alias_map, runs, deployed) for version in ordered],
        "gate_policy": None if policy is None else policy.public_dict(),
    }


def _run_ids(versions: list) -> set[str]:
    ids = set()
    for version in versions:
        run_id = version.run_id or (version.tags or {}).get("mlops.lineage.run_id")
        if run_id:
            ids.add(run_id)
    return ids


#: Where versions are served: ``{model: {version: [{id, url, role, alias}]}}``.
Deployed = Mapping[str, Mapping[str, list[dict[str, Any]]]]


def list_models(deployed: Deployed | None = None) -> list[dict[str, Any]]:
    """Every registered model with its versions (newest first), sorted by name.

    Each model: ``name, description, created, updated, aliases ({alias: version}),
    latest_version, versions``; each version: ``version, run_id, run_name,
    run_status, experiment_id, status, created, updated, description, flavor,
    metrics`` (of its run), ``aliases`` (held by it), ``gate`` (its last
    verdict, or None) and ``deployed`` (the running endpoints serving it: ``[{id,
    url, role, alias}]``, from ``deployed``, which the caller reads from the
    endpoints' state files — the registry does not know about serving); ``gate_policy`` is the model's declared gate (or None).
    Times are epoch milliseconds.
    """
    client = common.client()
    with translated("cannot list the registered models"):
        models = _all_pages(client.search_registered_models, max_results=MODEL_PAGE,
                            order_by=["name ASC"])
        versions = _all_pages(client.search_model_versions, max_results=VERSION_PAGE) \
            if models else []
        runs = _run_summaries(client, _run_ids(versions))
    by_model: dict[str, list] = {}
    for version in versions:
        by_model.setdefault(version.name, []).append(version)
    deployed = deployed or {}
    return [_model_entry(model, by_model.get(model.name, []), runs, deployed.get(model.name, {}))
            for model in models]


def model_detail(name: str, deployed: Deployed | None = None) -> dict[str, Any]:
    """One model as in :func:`list_models`, plus ``history``: every alias decision
    (set, forced, rollback, refused), oldest first.

    Raises:
        UsageError: malformed name; NotFoundError: no such model.
    """
    model = common.get_registered_model(name)  # validates the name, 404 when unknown
    client = common.client()
    with translated(f"cannot list the versions of {name!r}"):
        # validate_model_name allows no quote, so the name is safe inside the filter.
        versions = _all_pages(client.search_model_versions, filter_string=f"name = '{name}'",
                              max_results=VERSION_PAGE)
        runs = _run_summaries(client, _run_ids(versions))
    entry = _model_entry(model, versions, runs, (deployed or {}).get(name, {}))
    tags = dict(model.tags or {})
    history: list[dict[str, Any]] = []
    for key in sorted(tags):
        if key.startswith(aliases.HISTORY_TAG):
            history.extend(aliases._read_history(tags, key[len(aliases.HISTORY_TAG):]))
    entry["history"] = sorted(history, key=lambda item: item.get("at", ""))
    return entry
