"""Content-hash caching of pipeline steps, kept in the project's ``.mlops/`` folder.

Run folders (executed notebooks, status.json) go to ``<project>/mlops-runs/`` for
runs of a pipeline file and ``<project>/mlops-jobs/`` for scheduled jobs; see
:func:`run_folder`, the one rule for both.

A step's cache key hashes what determines its result: the notebook's code (not its
outputs), the resolved parameters, the content of its input files, the content of
its upstream steps' outputs and the kernel name. A step is skipped when a previous
successful run with the same key left outputs that still exist unchanged.

``.mlops/state.json`` holds the cache entries, a memo of file hashes keyed by
(size, mtime, inode) so unchanged large inputs are not re-read, and a memo of
notebooks' declared parameters keyed by code hash. It is read and written under a
file lock, so concurrent pipeline runs of one project do not lose entries.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

STATE_DIR = ".mlops"
# Visible on purpose: people open the executed notebooks (Jupyter hides dot folders).
RUNS_DIR = "mlops-runs"  # runs of a pipeline file: CLI, sidebar, widget, retrain
JOBS_DIR = "mlops-jobs"  # runs of scheduled jobs (a pipeline file or one notebook)
OUTPUT_DIRS = (RUNS_DIR, JOBS_DIR)
_LATEST_SUFFIX = ".latest"
_CHUNK = 1 << 20


def run_folder(root: Path, run_id: str, *, scheduled: bool = False) -> Path:
    """Where a run of the project at ``root`` keeps its notebooks and status.json.

    Scheduled jobs and runs of a pipeline file never share a folder: a scheduled
    notebook is a one-step pipeline whose step may be named like a step of a
    pipeline file beside it, and its outputs must not pass for that pipeline's.
    """
    return root / (JOBS_DIR if scheduled else RUNS_DIR) / run_id


def latest_pointer(pipeline: Path) -> Path:
    """The file naming the latest run of the pipeline file ``pipeline`` (one per file:
    a project folder may hold several pipelines)."""
    return pipeline.parent / RUNS_DIR / (pipeline.name + _LATEST_SUFFIX)


def latest_run_id(pipeline: Path) -> str | None:
    """The id of the latest run of the pipeline file ``pipeline``, or None."""
    try:
        return latest_pointer(pipeline).read_text().strip() or None
    except OSError:
        return None


def cache_key(*, code: str, parameters: dict[str, Any], inputs: dict[str, str],
              upstream: dict[str, str], kernel: str, store: str = "") -> str:
    """The hash that decides whether a step must run again.

    ``store`` is the tracking URI: a step's result is reused only where its run (and
    anything it registered) is recorded, so switching stores re-runs the pipeline.
    """
    record = {"code": code, "parameters": parameters, "inputs": inputs,
              "upstream": upstream, "kernel": kernel}
    if store:
        record["store"] = store
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


class ProjectState:
    """The ``.mlops`` folder of one pipeline project."""

    def __init__(self, root: Path):
        self.root = root
        self.folder = root / STATE_DIR
        self._path = self.folder / "state.json"
        self._data: dict[str, Any] = {"entries": {}, "files": {}, "parameters": {}}
        self._dirty = False

    # ------------------------------------------------------------ persistence
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "state.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self) -> ProjectState:
        try:
            data = json.loads(self._path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return self
        if isinstance(data, dict):
            for key in self._data:
                if isinstance(data.get(key), dict):
                    self._data[key] = data[key]
        return self

    def save(self) -> None:
        """Merge our changes into the file (others may have written meanwhile)."""
        if not self._dirty:
            return
        with self._locked():
            current = ProjectState(self.root).load()._data
            for key, values in self._data.items():
                current[key].update(values)
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps(current))
            os.replace(temporary, self._path)
        self._dirty = False

    # ---------------------------------------------------------------- hashing
    def file_hash(self, path: Path) -> str | None:
        """sha256 of a file (or of a folder's files); None if it does not exist."""
        if path.is_dir():
            digest = hashlib.sha256()
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(str(child.relative_to(path)).encode())
                digest.update((self.file_hash(child) or "").encode())
            return digest.hexdigest()
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        memo = self._data["files"].get(str(path))
        if memo and memo["stamp"] == stamp:
            return memo["hash"]
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        self._data["files"][str(path)] = {"stamp": stamp, "hash": digest.hexdigest()}
        self._dirty = True
        return digest.hexdigest()

    def input_hashes(self, patterns: tuple[str, ...]) -> dict[str, str]:
        """Every file matching the step's input globs → its hash (sorted, relative)."""
        found: dict[str, str] = {}
        for pattern in patterns:
            matches = glob.glob(str(self.root / pattern), recursive=True)
            for match in sorted(matches):
                path = Path(match)
                digest = self.file_hash(path)
                if digest is not None:
                    found[str(path.relative_to(self.root))] = digest
            if not matches:
                found[pattern] = "missing"
        return found

    # ------------------------------------------------------------- parameters
    def declared_parameters(self, notebook: Path, code: str):
        """The notebook's parameters cell (memoized by code hash; papermill otherwise)."""
        from .notebooks import inspect_parameters

        memo = self._data["parameters"].get(code)
        if memo is not None:
            return memo["declared"]
        declared = inspect_parameters(notebook)
        self._data["parameters"][code] = {"declared": declared}
        self._dirty = True
        return declared

    # ------------------------------------------------------------------ cache
    def lookup(self, key: str) -> dict[str, Any] | None:
        """The entry of a successful run with ``key`` whose outputs are unchanged."""
        entry = self._data["entries"].get(key)
        if entry is None:
            return None
        for output in entry["outputs"].values():
            if self.file_hash(self.root / output["path"]) != output["hash"]:
                return None
        return entry

    def record(self, key: str, entry: dict[str, Any]) -> None:
        self._data["entries"][key] = entry
        self._dirty = True
