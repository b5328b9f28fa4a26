"""What the pipeline needs to know about a notebook: its code hash and parameters.

Notebooks are read as plain JSON (``nbformat`` and papermill are slow to import);
papermill's parameter inspection runs only for notebooks whose code changed since
the last inspection (memoized by code hash), so a fully cached re-run never imports
papermill.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

from ..exceptions import UsageError

PARAMETERS_TAG = "parameters"
_TYPE_COMPATIBLE = {
    "float": (int, float),
    "int": (int,),
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "dict": (dict,),
    "tuple": (list,),
}


#: Optional modules papermill's import pulls in for features a step never uses,
#: with what each would cost. jsonschema's format module compiles rfc3987_syntax's
#: grammar (about 1 s) for the ``iri`` formats, which notebook validation does not
#: use (nbformat validates with fastjsonschema, or Draft 4 without them);
#: papermill.iorw imports pyarrow.fs (about 0.4 s) for ``hdfs://`` notebooks, and
#: step notebooks are local files inside the project.
_UNUSED_BY_STEPS = ("rfc3987_syntax", "pyarrow.fs")


def import_papermill():
    """papermill, imported without the optional modules of :data:`_UNUSED_BY_STEPS`.

    Each is hidden only while papermill (and nbformat, jsonschema) are first
    imported, and only when nothing imported it before; afterwards it imports
    normally for any other code of the process.
    """
    import sys

    if "papermill" in sys.modules:
        return sys.modules["papermill"]
    hidden = [name for name in _UNUSED_BY_STEPS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment] - "not installed"
    try:
        import papermill
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
    return papermill


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook as JSON.

    Raises:
        UsageError: not a readable Jupyter notebook.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path.name} is not a readable notebook: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise UsageError(f"{path.name} is not a Jupyter notebook (no cells)")
    return data


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def code_hash(notebook: dict[str, Any]) -> str:
    """Hash of what the notebook *does*: cell types, sources and the parameters tag.

    Outputs, execution counts, ids and other metadata are cosmetic and left out, so
    re-saving an executed notebook does not invalidate the cache.
    """
    digest = hashlib.sha256()
    for cell in notebook["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        record = [cell.get("cell_type"), _source(cell).rstrip(), PARAMETERS_TAG in tags]
        digest.update(json.dumps(record).encode())
    return digest.hexdigest()


def _literal_type(default: str) -> str | None:
    try:
        return type(ast.literal_eval(default)).__name__
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def inspect_parameters(path: Path) -> dict[str, dict[str, Any]] | None:
    """Parameters declared in the ``parameters`` cell: name → {type, default, help}.

    Uses papermill's inspection; the type comes from an annotation, else from the
    default's literal. Returns None when the notebook has no ``parameters`` cell.
    """
    notebook = read_notebook(path)
    if not any(PARAMETERS_TAG in cell.get("metadata", {}).get("tags", [])
               for cell in notebook["cells"]):
        return None
    papermill = import_papermill()
    try:
        found = papermill.inspect_notebook(str(path))
    except Exception as exc:  # noqa: BLE001 - papermill raises many kinds
        raise UsageError(f"cannot inspect the parameters of {path.name}: {exc}") from None
    declared = {}
    for name, info in found.items():
        kind = info.get("inferred_type_name")
        if kind in (None, "None", ""):
            kind = _literal_type(info.get("default", ""))
        declared[name] = {"type": kind if kind != "NoneType" else None,
                          "default": info.get("default"), "help": info.get("help", "")}
    return declared


def check_value(declared_type: str | None, value: Any) -> str | None:
    """Why ``value`` does not fit a parameter declared as ``declared_type`` (None: fits)."""
    allowed = _TYPE_COMPATIBLE.get(declared_type or "")
    if allowed is None or value is None:
        return None
    if isinstance(value, bool) and bool not in allowed:
        return f"expects {declared_type}, got bool"
    if isinstance(value, allowed):
        return None
    return f"expects {declared_type}, got {type(value).__name__}"
