"""What a cell run records: assigned names, parameters, data fingerprints, notebook.

Everything here runs on the kernel's main thread right after a cell, so each
function is bounded: no imports of heavy libraries (only objects the user already
created are inspected), no subprocesses, and large data is hashed by sample.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

FALLBACK_EXPERIMENT = "notebooks"
PARAM_VALUE_LIMIT = 500
FULL_HASH_BYTES = 1 << 20  # hash everything up to 1 MiB; sample beyond
SAMPLE_CHUNKS = 64
SAMPLE_CHUNK_BYTES = 4096
SAMPLE_ROWS = 2000
MAX_FINGERPRINT_COLUMNS = 100


# --------------------------------------------------------------------------- names
def assigned_names(source: str) -> list[str]:
    """Names a cell binds at notebook level, in order of first assignment.

    Bindings inside function and class bodies are local and not reported; loop,
    ``with`` and walrus targets are. Names starting with ``_`` are skipped.
    Unparseable source gives an empty list.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: dict[str, None] = {}

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return
        if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
                and not node.id.startswith("_")):
            found.setdefault(node.id, None)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return list(found)


def is_param_value(value: Any) -> bool:
    """True for the scalars recorded as parameters: int, float, str, bool."""
    return type(value) in (int, float, str, bool)


def param_text(value: Any) -> str:
    """A parameter value as MLflow stores it: text, truncated for long strings."""
    text = str(value)
    if len(text) > PARAM_VALUE_LIMIT:
        return text[: PARAM_VALUE_LIMIT - 1] + "…"
    return text


# --------------------------------------------------------------------- fingerprints
def _data_kind(value: Any) -> str | None:
    module = type(value).__module__ or ""
    name = type(value).__name__
    if module.startswith("pandas") and name in ("DataFrame", "Series"):
        return "pandas"
    if module == "numpy" and name == "ndarray":
        return "numpy"
    if module == "torch" and name in ("Tensor", "Parameter"):
        return "torch"
    return None


def is_data(value: Any) -> bool:
    """True for the objects that get a data fingerprint (DataFrame, array, tensor)."""
    return _data_kind(value) is not None


def _hash_buffer(buffer: memoryview) -> tuple[str, str]:
    """blake2b of a byte buffer; above FULL_HASH_BYTES a fixed, evenly spread sample."""
    digest = hashlib.blake2b(digest_size=16)
    size = buffer.nbytes
    if size <= FULL_HASH_BYTES:
        digest.update(buffer)
        return digest.hexdigest(), "full"
    step = (size - SAMPLE_CHUNK_BYTES) // (SAMPLE_CHUNKS - 1)
    for index in range(SAMPLE_CHUNKS):
        start = index * step
        digest.update(buffer[start : start + SAMPLE_CHUNK_BYTES])
    digest.update(str(size).encode())
    return digest.hexdigest(), "sampled"


def _numpy_fingerprint(array: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"type": "numpy.ndarray", "shape": list(array.shape),
                            "dtype": str(array.dtype)}
    if array.dtype.hasobject:
        sample = array.ravel()[:: max(1, array.size // SAMPLE_ROWS)]
        digest = hashlib.blake2b(repr(sample.tolist()).encode(), digest_size=16).hexdigest()
        info.update(hash=digest, method="sampled" if sample.size < array.size else "full")
        return info
    contiguous = array if array.flags.c_contiguous else array.copy(order="C")
    if not array.flags.c_contiguous and array.nbytes > FULL_HASH_BYTES:
        # Copying a huge strided view would not be cheap: hash a row sample instead.
        contiguous = array[:: max(1, array.shape[0] // SAMPLE_ROWS)].copy(order="C")
    digest, method = _hash_buffer(memoryview(contiguous).cast("B"))
    if contiguous is not array and contiguous.shape != array.shape:
        method = "sampled"
    info.update(hash=digest, method=method)
    return info


def _pandas_fingerprint(frame: Any) -> dict[str, Any]:
    import pandas as pd  # already imported: the value is a pandas object

    is_frame = isinstance(frame, pd.DataFrame)
    rows = len(frame)
    info: dict[str, Any] = {
        "type": "pandas.DataFrame" if is_frame else "pandas.Series",
        "shape": list(frame.shape),
    }
    if is_frame:
        columns = [str(column) for column in frame.columns]
        info["columns"] = columns[:MAX_FINGERPRINT_COLUMNS]
        if len(columns) > MAX_FINGERPRINT_COLUMNS:
            info["columns_truncated"] = len(columns)
        info["dtypes"] = sorted({str(dtype) for dtype in frame.dtypes})
    cells = rows * (frame.shape[1] if is_frame else 1)
    method = "full"
    sample = frame
    if cells > FULL_HASH_BYTES // 8:
        sample = frame.iloc[:: max(1, rows // SAMPLE_ROWS)]
        method = "sampled"
    try:
        row_hashes = pd.util.hash_pandas_object(sample, index=True).to_numpy()
        digest = hashlib.blake2b(row_hashes.tobytes(), digest_size=16)
    except TypeError:  # unhashable cells (lists, dicts): fall back to their text
        digest = hashlib.blake2b(sample.to_json(default_handler=str).encode(), digest_size=16)
    digest.update(json.dumps(info, sort_keys=True).encode())
    info.update(hash=digest.hexdigest(), method=method)
    return info


def _torch_fingerprint(tensor: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"type": "torch.Tensor", "shape": list(tensor.shape),
                            "dtype": str(tensor.dtype), "device": str(tensor.device)}
    flat = tensor.detach()
    if flat.device.type != "cpu" or flat.is_sparse:
        info.update(hash=None, method="skipped")
        return info
    try:
        array = flat.contiguous().numpy()
    except (TypeError, RuntimeError):  # e.g. bfloat16 has no numpy dtype
        array = flat.float().contiguous().numpy()
    digest, method = _hash_buffer(memoryview(array.reshape(-1).view("uint8")))
    info.update(hash=digest, method=method)
    return info


def fingerprint(value: Any) -> dict[str, Any] | None:
    """Content hash, shape and columns of a DataFrame, ndarray or tensor.

    Cost is bounded: above 1 MiB only an evenly spread sample is hashed and the
    result says ``"method": "sampled"``. Returns None for other objects.
    """
    kind = _data_kind(value)
    try:
        if kind == "numpy":
            return _numpy_fingerprint(value)
        if kind == "pandas":
            return _pandas_fingerprint(value)
        if kind == "torch":
            return _torch_fingerprint(value)
    except Exception as exc:  # noqa: BLE001 - a fingerprint must never break a cell
        return {"type": type(value).__name__, "hash": None, "method": "failed",
                "error": f"{type(exc).__name__}: {exc}"[:200]}
    return None


# ------------------------------------------------------------------------ notebook
def notebook_path(user_ns: dict[str, Any]) -> Path | None:
    """The notebook file this kernel runs, when the front end tells us.

    JupyterLab/Notebook set ``__session__`` (from ``JPY_SESSION_NAME``), VS Code sets
    ``__vsc_ipynb_file__``; ``MLOPS_NOTEBOOK`` lets headless runners (papermill)
    say it. Consoles, nbclient and other front ends give None.
    """
    candidates = [
        user_ns.get("__vsc_ipynb_file__"),
        os.environ.get("MLOPS_NOTEBOOK"),
        user_ns.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.endswith(".ipynb"):
            continue
        path = Path(candidate)
        if not path.is_absolute():
            path = Path.cwd() / path
        if not path.exists() and (Path.cwd() / path.name).exists():
            path = Path.cwd() / path.name
        return path
    return None


def default_experiment(notebook: Path | None) -> str:
    """The notebook's name (without .ipynb) when known, else a stable fallback."""
    if notebook is not None and notebook.stem:
        return notebook.stem
    return FALLBACK_EXPERIMENT


# --------------------------------------------------------------------- environment
KEY_PACKAGES = ("mlops-jupyter", "mlflow", "ipykernel", "numpy", "pandas", "scikit-learn",
                "torch", "papermill")
_environment_cache: dict[str, str] | None = None


def environment_tags() -> dict[str, str]:
    """Python and key package versions (cached per process; read from metadata only)."""
    global _environment_cache
    if _environment_cache is None:
        import platform
        from importlib import metadata

        tags = {"mlops.env.python": platform.python_version(),
                "mlops.env.platform": platform.platform(terse=True),
                "mlops.env.executable": sys.executable}
        for package in KEY_PACKAGES:
            try:
                tags[f"mlops.env.{package}"] = metadata.version(package)
            except metadata.PackageNotFoundError:
                continue
        _environment_cache = tags
    return dict(_environment_cache)


def installed_packages() -> str:
    """``name==version`` of every installed distribution, like ``pip freeze``."""
    from importlib import metadata

    lines = {f"{dist.metadata['Name']}=={dist.version}" for dist in metadata.distributions()
             if dist.metadata["Name"]}
    return "\n".join(sorted(lines, key=str.lower)) + "\n"
