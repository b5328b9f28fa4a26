"""A run's artifacts through MLflow's artifact API (any store: local, HTTP, S3): the
listing, one file's bytes, and a notebook artifact copied into the workspace."""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from pathlib import Path

from .. import mlflow_errors, paths
from ..exceptions import MLOpsError, NotFoundError, UsageError

#: The most entries a listing walks (files and folders).
MAX_ENTRIES = 1000
#: The largest file served through the artifacts URL.
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
#: Where open-notebook puts a run's notebooks, relative to the server root.
OPEN_FOLDER = ".mlops/runs"


class ArtifactTooLargeError(MLOpsError):
    """The artifact is larger than :data:`MAX_DOWNLOAD_BYTES` (413)."""

    http_status = 413


def check_path(path: str) -> str:
    """``path`` when it is a relative artifact path without ``..`` (paths.py's rules).

    Raises:
        UsageError: absolute, ``..``, control characters, too long.
    """
    paths.check_relative(path, what="artifact path", within="the run's artifacts")
    return path.replace("\\", "/").strip("/")


def list_all(client, run_id: str, limit: int = MAX_ENTRIES) -> list[dict]:
    """Every artifact file and folder of the run, breadth first, at most ``limit``."""
    entries: list[dict] = []
    folders: list[str | None] = [None]
    try:
        while folders and len(entries) < limit:
            folder = folders.pop(0)
            for info in client.list_artifacts(run_id, folder):
                if len(entries) >= limit:
                    break
                entries.append({"path": info.path, "is_dir": bool(info.is_dir),
                                "size": None if info.is_dir else info.file_size})
                if info.is_dir:
                    folders.append(info.path)
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list the run's artifacts") from exc
    return entries


def _entry(client, run_id: str, path: str) -> dict | None:
    parent = path.rsplit("/", 1)[0] if "/" in path else None
    try:
        for info in client.list_artifacts(run_id, parent):
            if info.path == path:
                return {"path": info.path, "is_dir": bool(info.is_dir), "size": info.file_size}
    except Exception as exc:
        raise mlflow_errors.to_error(exc, "cannot list the run's artifacts") from exc
    return None


def read_bytes(client, run_id: str, path: str, limit: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """The bytes of artifact file ``path``.

    Raises:
        UsageError: a bad path or a folder; NotFoundError: no such file;
        ArtifactTooLargeError: over ``limit``.
    """
    path = check_path(path)
    entry = _entry(client, run_id, path)
    if entry is None:
        raise NotFoundError(f"the run has no artifact {paths.quote(path)}")
    if entry["is_dir"]:
        raise UsageError(f"artifact {paths.quote(path)} is a folder")
    if entry["size"] is not None and entry["size"] > limit:
        raise ArtifactTooLargeError(
            f"artifact {paths.quote(path)} is larger than {limit // (1024 * 1024)} MB")
    with tempfile.TemporaryDirectory(prefix="mlops-artifact-") as folder:
        try:
            local = Path(client.download_artifacts(run_id, path, folder))
        except Exception as exc:
            raise mlflow_errors.to_error(exc, "cannot download the artifact") from exc
        if local.stat().st_size > limit:
            raise ArtifactTooLargeError(
                f"artifact {paths.quote(path)} is larger than {limit // (1024 * 1024)} MB")
        return local.read_bytes()


def read_text(client, run_id: str, path: str, limit: int) -> tuple[str, bool] | None:
    """Artifact ``path`` as text cut to ``limit`` characters (and whether it was cut),
    or None when the run has no such file."""
    try:
        data = read_bytes(client, run_id, path)
    except NotFoundError:
        return None
    text = data.decode("utf-8", errors="replace")
    return text[:limit], len(text) > limit


def content_type(path: str) -> tuple[str, bool]:
    """The media type of ``path`` and whether a browser may show it inline (text, JSON)."""
    suffix = Path(path).suffix.lower()
    if suffix in (".py", ".txt", ".patch", ".diff", ".log", ".md", ".yaml", ".yml", ".csv",
                  ".cfg", ".ini", ".toml", ".mlmodel") or Path(path).name == "MLmodel":
        return "text/plain; charset=utf-8", True
    if suffix in (".json", ".ipynb"):
        return "application/json", True
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    inline = guessed.startswith("text/")
    return (guessed + "; charset=utf-8" if inline else guessed), inline


def open_notebook(client, run_id: str, path: str, root: Path | str,
                  workspace_notebook: str | None = None) -> str:
    """Put notebook artifact ``path`` into the server root and return its path there.

    The step's executed notebook, when it is still in the workspace under the same
    file name (``workspace_notebook``, relative to the root), is reused as it is;
    otherwise the artifact is copied to ``.mlops/runs/<run_id>/<file>.ipynb``.

    Raises:
        UsageError: not a .ipynb path, or a bad path; NotFoundError: no such artifact.
    """
    path = check_path(path)
    if not path.endswith(".ipynb"):
        raise UsageError("only .ipynb artifacts open as notebooks")
    if workspace_notebook and Path(workspace_notebook).name == Path(path).name:
        found = paths.inside(root, workspace_notebook, parent_refs=False)
        if found is not None and found.is_file():
            return paths.relative_to_root(root, found)
    data = read_bytes(client, run_id, path)
    target = paths.resolve_inside(root, f"{OPEN_FOLDER}/{run_id}/{Path(path).name}",
                                  what="notebook copy")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".ipynb.part")
    partial.write_bytes(data)
    shutil.move(partial, target)
    return paths.relative_to_root(root, target)
