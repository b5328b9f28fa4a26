"""Diff two runs: notebook cells (nbdime's alignment), params, environment, data
fingerprints and metrics — "why did this run score differently?".

The notebook of a run is, first found: its own ``notebook/*.ipynb`` artifact (a
session's snapshot, a pipeline step's executed notebook), its parent's (a cell run's
session), else its ``cell/source.py`` as a one-cell notebook. Outputs, execution counts,
metadata and cell ids are dropped before diffing, so only sources are compared.
"""

from __future__ import annotations

import difflib
import json
import tempfile
from pathlib import Path
from typing import Any

from .. import names
from ..exceptions import UsageError
from ..tracking import store
from .compare import fetch_runs, short, summary
from .comparison_contracts import RunDiff

PARENT_TAG = "mlflow.parentRunId"
ENV_PREFIX = "mlops.env."
DATA_PREFIX = "mlops.data."
#: Tags of the environment that are not package versions worth showing (paths).
ENV_SKIPPED = {"executable"}
REQUIREMENTS = "environment/requirements.txt"
CELL_SOURCE = "cell/source.py"
#: The largest notebook snapshot read (bytes); a bigger one is reported, not diffed.
MAX_NOTEBOOK_BYTES = 20_000_000


def diff(run_a: str, run_b: str) -> RunDiff:
    """What differs between runs ``run_a`` and ``run_b``.

    Raises:
        UsageError: a malformed run id; NotFoundError: an unknown run.
    """
    for run_id in (run_a, run_b):
        if not names.is_run_id(run_id):
            raise UsageError(f"{short(str(run_id))!r} is not a run id (letters, digits, "
                             "'-' and '_', at most 64)")
    client = store.client()
    runs = fetch_runs(client, list(dict.fromkeys([run_a, run_b])))
    a, b = runs[0], runs[-1]
    parents = _parents(client, [a, b])
    param_rows, equal = _params(a.data.params, b.data.params)
    return RunDiff.model_validate({
        "a": summary(a), "b": summary(b),
        "notebook": notebook_diff(client, a, b, parents),
        "params": param_rows, "equal_params": equal,
        "environment": _environment(client, a, b, parents),
        "fingerprints": _fingerprints(a.data.tags, b.data.tags),
        "metrics": _metrics(a.data.metrics, b.data.metrics)})


def _parents(client, runs) -> dict[str, Any]:
    wanted = [run.data.tags.get(PARENT_TAG) for run in runs]
    wanted = list(dict.fromkeys(p for p in wanted if p and names.is_run_id(p)))
    parents: dict[str, Any] = {}
    for parent_id in wanted:
        try:
            parents[parent_id] = fetch_runs(client, [parent_id])[0]
        except Exception:  # noqa: BLE001, S112 - a deleted parent only loses a fallback
            continue
    return parents


# ------------------------------------------------------------------ notebooks
def notebook_diff(client, a, b, parents: dict[str, Any]) -> dict[str, Any]:
    """The cell diff of the two runs' notebooks (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="mlops-diff-") as folder:
        found_a = _notebook(client, a, parents, Path(folder) / "a")
        found_b = _notebook(client, b, parents, Path(folder) / "b")
    missing = [label for label, found in (("a", found_a), ("b", found_b))
               if isinstance(found, str)]
    if missing:
        reason = "; ".join(f"run {label}: {found_a if label == 'a' else found_b}"
                           for label in missing)
        return {"available": False, "reason": reason,
                "a_name": None if isinstance(found_a, str) else found_a[0],
                "b_name": None if isinstance(found_b, str) else found_b[0], "cells": []}
    (a_name, a_cells), (b_name, b_cells) = found_a, found_b
    return {"available": True, "reason": None, "a_name": a_name, "b_name": b_name,
            "cells": diff_cells(a_cells, b_cells)}


def _notebook(client, run, parents, folder: Path) -> tuple[str, list[dict]] | str:
    """(name, cells) of the run's notebook, or why there is none."""
    candidates = [run]
    parent = parents.get(run.data.tags.get(PARENT_TAG) or "")
    if parent is not None:
        candidates.append(parent)
    for candidate in candidates:
        for path in _artifact_files(client, candidate, "notebook"):
            if path.endswith(".ipynb"):
                text = _artifact_text(client, candidate, path, folder)
                if text is None:
                    continue
                try:
                    notebook = json.loads(text)
                    return path.rsplit("/", 1)[-1], _stripped_cells(notebook)
                except (ValueError, TypeError, AttributeError):
                    return f"its notebook {path.rsplit('/', 1)[-1]} is not a readable notebook"
    source = (_artifact_text(client, run, CELL_SOURCE, folder)
              if CELL_SOURCE in _artifact_files(client, run, "cell") else None)
    if source is not None:
        return CELL_SOURCE, [{"cell_type": "code", "source": source, "metadata": {}}]
    return "no notebook snapshot, executed notebook or cell source was recorded"


def _repository(client, run):
    """The run's artifact repository, straight from its artifact URI (no extra
    ``get_run`` per listing or download); through the client when the URI is unknown."""
    uri = getattr(run.info, "artifact_uri", None)
    if uri:
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        return get_artifact_repository(uri)
    return None


def _artifact_files(client, run, folder: str) -> list[str]:
    try:
        repository = _repository(client, run)
        items = (repository.list_artifacts(folder) if repository is not None
                 else client.list_artifacts(run.info.run_id, folder))
        return sorted(item.path for item in items if not item.is_dir)
    except Exception:  # noqa: BLE001 - no artifacts (or no access) reads as none
        return []


def _artifact_text(client, run, path: str, folder: Path) -> str | None:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        repository = _repository(client, run)
        local = Path(repository.download_artifacts(path, str(folder)) if repository is not None
                     else client.download_artifacts(run.info.run_id, path, str(folder)))
        if local.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        return local.read_text(encoding="utf-8", errors="replace")
    except Exception:  # noqa: BLE001 - a missing artifact is a fallback, not an error
        return None


def _stripped_cells(notebook: dict) -> list[dict]:
    cells = []
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append({"cell_type": str(cell.get("cell_type", "code")), "source": str(source),
                      "metadata": {}})
    return cells


def diff_cells(a_cells: list[dict], b_cells: list[dict]) -> list[dict[str, Any]]:
    """Align the cells and describe each aligned pair, in notebook order.

    ``a_cells``/``b_cells``: ``{"cell_type", "source", "metadata"}`` (outputs already
    dropped). Identical cells are anchored first (an exact match needs no heuristics,
    and nbdime compares every cell with every other one — 40 000 fuzzy string
    comparisons for two 200-cell notebooks); each stretch between anchors is aligned by
    nbdime's notebook diff, which decides which cells were edited, added or removed.
    Returns :class:`CellDiff`-shaped dicts.
    """
    keys_a = [(cell["cell_type"], cell["source"]) for cell in a_cells]
    keys_b = [(cell["cell_type"], cell["source"]) for cell in b_cells]
    rows: list[dict[str, Any]] = []
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(_row("unchanged", i, j, a_cells[i], b_cells[j])
                        for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
        else:
            rows.extend(_nbdime_rows(a_cells[i1:i2], b_cells[j1:j2], i1, j1))
    return rows


def _row(status: str, a_index: int | None, b_index: int | None, a_cell: dict | None,
         b_cell: dict | None) -> dict[str, Any]:
    a_source = a_cell["source"] if a_cell else None
    b_source = b_cell["source"] if b_cell else None
    return {"status": status, "a_index": a_index, "b_index": b_index,
            "cell_type": (b_cell or a_cell)["cell_type"], "a_source": a_source,
            "b_source": b_source,
            "lines": line_diff(a_source, b_source) if status == "changed" else []}


def _nbdime_rows(a_cells: list[dict], b_cells: list[dict], a_offset: int,
                 b_offset: int) -> list[dict[str, Any]]:
    """nbdime's alignment of two stretches of cells (indices shifted by the offsets)."""
    if not a_cells or not b_cells:
        return ([_row("removed", a_offset + i, None, cell, None)
                 for i, cell in enumerate(a_cells)]
                + [_row("added", None, b_offset + j, None, cell)
                   for j, cell in enumerate(b_cells)])
    import nbdime

    def notebook(cells):
        # nbdime reads outputs of code cells: give them none, so only sources count.
        return {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
            {**cell, "outputs": [], "execution_count": None} if cell["cell_type"] == "code"
            else cell for cell in cells]}

    entries = []
    for entry in nbdime.diff_notebooks(notebook(a_cells), notebook(b_cells)):
        if entry["key"] == "cells":
            entries = entry["diff"]
    added: dict[int, int] = {}
    removed: set[int] = set()
    for entry in entries:
        if entry["op"] == "addrange":
            added[entry["key"]] = added.get(entry["key"], 0) + len(entry["valuelist"])
        elif entry["op"] == "removerange":
            removed.update(range(entry["key"], entry["key"] + entry["length"]))
    rows: list[dict[str, Any]] = []
    b_index = 0
    for a_index in range(len(a_cells) + 1):
        for _ in range(added.get(a_index, 0)):
            rows.append(_row("added", None, b_offset + b_index, None, b_cells[b_index]))
            b_index += 1
        if a_index == len(a_cells):
            break
        cell = a_cells[a_index]
        if a_index in removed:
            rows.append(_row("removed", a_offset + a_index, None, cell, None))
            continue
        other = b_cells[b_index]
        status = "unchanged" if (other["cell_type"], other["source"]) == (
            cell["cell_type"], cell["source"]) else "changed"
        rows.append(_row(status, a_offset + a_index, b_offset + b_index, cell, other))
        b_index += 1
    return rows


def line_diff(a: str, b: str) -> list[dict[str, str]]:
    """Every line of ``a`` and ``b`` marked ``' '`` (both), ``'-'`` (a) or ``'+'`` (b)."""
    a_lines, b_lines = a.splitlines(), b.splitlines()
    lines = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend({"op": " ", "text": text} for text in a_lines[i1:i2])
            continue
        lines.extend({"op": "-", "text": text} for text in a_lines[i1:i2])
        lines.extend({"op": "+", "text": text} for text in b_lines[j1:j2])
    return lines


# ------------------------------------------------------------------ the rest
def _params(a: dict[str, str], b: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    rows, equal = [], 0
    for key in sorted(set(a) | set(b)):
        if key in a and key in b:
            if a[key] == b[key]:
                equal += 1
                continue
            status = "changed"
        else:
            status = "removed" if key in a else "added"
        rows.append({"key": key, "a": a.get(key), "b": b.get(key), "status": status})
    return rows, equal


def _environment(client, a, b, parents) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="mlops-env-") as folder:
        env_a = _packages(client, a, parents, Path(folder) / "a")
        env_b = _packages(client, b, parents, Path(folder) / "b")
    return [{"package": package, "a": env_a.get(package), "b": env_b.get(package)}
            for package in sorted(set(env_a) | set(env_b))
            if env_a.get(package) != env_b.get(package)]


def _packages(client, run, parents, folder: Path) -> dict[str, str]:
    """Package → version from the run's (else its parent's) requirements.txt and
    ``mlops.env.*`` tags (the tags win: they were read at the run's start)."""
    chain = [run]
    parent = parents.get(run.data.tags.get(PARENT_TAG) or "")
    if parent is not None:
        chain.append(parent)
    packages: dict[str, str] = {}
    for candidate in chain:
        if REQUIREMENTS not in _artifact_files(client, candidate, "environment"):
            continue
        text = _artifact_text(client, candidate, REQUIREMENTS, folder)
        if text is not None:
            packages = _requirements(text)
            break
    for candidate in chain:
        tags = {key[len(ENV_PREFIX):]: value for key, value in candidate.data.tags.items()
                if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX):] not in ENV_SKIPPED}
        if tags:
            packages.update({_normal(key): value for key, value in tags.items()})
            break
    return packages


def _requirements(text: str) -> dict[str, str]:
    packages = {}
    for line in text.splitlines():
        line = line.strip()
        if "==" in line and not line.startswith("#"):
            name, _, version = line.partition("==")
            packages[_normal(name)] = version.strip()
    return packages


def _normal(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _fingerprints(a: dict[str, str], b: dict[str, str]) -> list[dict[str, Any]]:
    def prints(tags):
        return {key[len(DATA_PREFIX):]: value for key, value in tags.items()
                if key.startswith(DATA_PREFIX)}

    pa, pb = prints(a), prints(b)
    return [{"name": name, "a": pa.get(name), "b": pb.get(name),
             "changed": pa.get(name) != pb.get(name)} for name in sorted(set(pa) | set(pb))]


def _metrics(a: dict[str, float], b: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        delta = vb - va if va is not None and vb is not None else None
        rows.append({"key": key, "a": va, "b": vb, "delta": delta})
    return rows


__all__ = ["diff", "diff_cells", "line_diff", "notebook_diff"]
