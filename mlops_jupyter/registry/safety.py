"""Refuse model sources outside this registry's own artifact store.

Only versions whose files resolve inside the store's DEFAULT artifact root
(:func:`mlops_jupyter.config.artifact_root`) are ever loaded (unpickled), and only
from a local copy of exactly the checked location (:func:`fetch_version`). Listing
and lineage read metadata only; the gate scores versions in a process of its own
(:mod:`.scoring`).
The checks follow MLflow's ``validate_path_is_safe`` and its CVE history: path
traversal (``..``, also percent-encoded, also twice), fragments (``#``), parameter
separators (``;``), backslashes, control characters, queries, and ``file://``
locations outside the store's artifact root (symlinks resolved).
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Any
from urllib.parse import unquote, urlparse

from .. import config
from ..exceptions import UsageError
from ..mlflow_errors import translated
from . import common, serialization

_FORBIDDEN = ("#", ";", "\\", "?", "\x00")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_DECODE = 4
_VERSION_URI = re.compile(r"^models:/([^/@]+)/(\d+)$")
_ALIAS_URI = re.compile(r"^models:/([^/@]+)@([^/@]+)$")


def _decoded_forms(text: str) -> list[str]:
    forms = [text]
    for _ in range(_MAX_DECODE):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def check_text(uri: Any) -> str:
    """Reject URIs whose text (raw or percent-decoded) carries traversal tricks.

    Raises:
        UsageError: the URI is refused (the message never echoes the full URI).
    """
    if not isinstance(uri, str) or not uri.strip():
        raise UsageError("refused model source: empty")
    for form in _decoded_forms(uri):
        if _CONTROL.search(form):
            raise UsageError("refused model source: control characters")
        for char in _FORBIDDEN:
            if char in form:
                raise UsageError(f"refused model source: contains {char!r}")
        path = urlparse(form).path if "://" in form or form.startswith(("file:", "models:",
                                                                          "runs:")) else form
        if ".." in path.split("/") or ".." in form.split("/"):
            raise UsageError("refused model source: path traversal ('..')")
    return uri


def _file_path(uri: str) -> str | None:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None  # file://host/... is a network location, never ours
        return unquote(parsed.path)
    if parsed.scheme == "" and uri.startswith("/"):
        return uri
    return None


def within(location: str, root: str) -> bool:
    """True when ``location`` lies inside ``root`` (both URIs or absolute paths)."""
    loc_path, root_path = _file_path(location), _file_path(root)
    if root_path is not None:
        if loc_path is None:
            return False
        real_root = os.path.realpath(root_path)
        real_loc = os.path.realpath(loc_path)
        return real_loc == real_root or real_loc.startswith(real_root.rstrip("/") + "/")
    if loc_path is not None:
        return False
    loc, base = urlparse(location), urlparse(root)
    if (loc.scheme, loc.netloc) != (base.scheme, base.netloc):
        return False
    loc_norm = posixpath.normpath(loc.path or "/")
    base_norm = posixpath.normpath(base.path or "/")
    return loc_norm == base_norm or loc_norm.startswith(base_norm.rstrip("/") + "/")


def check_location(location: str, roots: list[str]) -> str:
    """Accept ``location`` only when its text is clean and it is inside one of ``roots``.

    Raises:
        UsageError: refused.
    """
    check_text(location)
    if not any(within(location, root) for root in roots if root):
        raise UsageError("refused model source: outside this registry's artifact store")
    return location


def allowed_roots() -> list[str]:
    """Where loadable model files may live: the store's DEFAULT artifact root only.

    Not the artifact location of the experiment that produced a version: anyone who
    can write to a shared store can create an experiment whose artifact location is
    a folder of their choosing (``file:///elsewhere``) and register a version from
    it. See :func:`mlops_jupyter.config.artifact_root`.
    """
    return [config.artifact_root()]


def resolve_storage(version) -> str:
    """Where a model version's files really are, as a URI (``runs:/`` and
    ``models:/m-…`` resolved through the run or logged model).

    Metadata only: looks up the LoggedModel or run, never downloads.

    Raises:
        UsageError: the source is refused (a reference to another registered model,
            traversal tricks); NotFoundError: its run or logged model is gone.
    """
    client = common.client()
    source = version.source or ""
    check_text(source)
    model_id = getattr(version, "model_id", None)
    match = re.match(r"^models:/(m-[0-9a-f]+)/?$", source)
    if match or (model_id and source.startswith("models:/")):
        with translated("cannot read the logged model"):
            logged = client.get_logged_model(match.group(1) if match else model_id)
        return logged.artifact_location
    if source.startswith("models:/"):
        raise UsageError("refused model source: a registry reference to another model")
    if source.startswith("runs:/"):
        run_id, _, rel = source[len("runs:/"):].partition("/")
        with translated("cannot read the run"):
            run = client.get_run(run_id)
        return f"{run.info.artifact_uri.rstrip('/')}/{rel}".rstrip("/")
    return source


def checked_location(name: str, version: Any) -> tuple[Any, str]:
    """``(model version, location of its files)`` once the location is vouched for.

    Raises:
        NotFoundError: unknown model/version; UsageError: the source is refused.
    """
    model_version = common.get_version(name, version)
    location = resolve_storage(model_version)
    check_location(location, allowed_roots())
    return model_version, location


def safe_model_uri(name: str, version: Any) -> str:
    """``models:/NAME/VERSION`` after checking its files live in the default artifact
    root (metadata only: nothing is downloaded or loaded).

    Raises:
        NotFoundError: unknown model/version; UsageError: the source is refused.
    """
    model_version, _ = checked_location(name, version)
    return f"models:/{name}/{model_version.version}"


_MAX_FILES = 100_000


def _copy_checked_tree(source: str, root: str, destination: str) -> None:
    """Copy the local model folder ``source`` to ``destination``, refusing any entry
    (a symlink anywhere below it) whose real path leaves ``root``."""
    import shutil

    real_root = os.path.realpath(root).rstrip("/") + "/"

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return (real + "/").startswith(real_root)

    if not inside(source):
        raise UsageError("refused model source: outside this registry's artifact store")
    real_source = os.path.realpath(source)
    if not os.path.isdir(real_source):
        raise UsageError("refused model source: the version's files are missing")
    seen: set[str] = set()
    count = 0
    for folder, dirs, files in os.walk(real_source, followlinks=True):
        real_folder = os.path.realpath(folder)
        if real_folder in seen:  # a symlink cycle inside the store
            dirs[:] = []
            continue
        seen.add(real_folder)
        relative = os.path.relpath(folder, real_source)
        os.makedirs(os.path.join(destination, relative), exist_ok=True)
        for entry in (*dirs, *files):
            count += 1
            if count > _MAX_FILES or not inside(os.path.join(folder, entry)):
                raise UsageError("refused model source: a file of the version leads "
                                 "outside this registry's artifact store")
        for entry in files:
            real = os.path.realpath(os.path.join(folder, entry))
            if os.path.isfile(real):
                shutil.copyfile(real, os.path.join(destination, relative, entry))


def fetch_version(name: str, version: Any, destination: str) -> str:
    """Copy the files of ``name``/``version`` into ``destination`` and return the local
    model folder, after checking where they are (after ``runs:/``, ``models:/`` and,
    for local files, every symlink). Exactly the checked location is copied: MLflow's
    own ``models:/`` resolution is never consulted for loading.

    Raises:
        NotFoundError: unknown model/version; UsageError: the source is refused.
    """
    _, location = checked_location(name, version)
    model_dir = os.path.join(destination, "model")
    local = _file_path(location)
    if local is not None:
        root = _file_path(allowed_roots()[0])
        if root is None:  # a remote root never vouches for local files
            raise UsageError("refused model source: outside this registry's artifact store")
        _copy_checked_tree(local, root, model_dir)
        return model_dir
    import mlflow.artifacts

    os.makedirs(model_dir, exist_ok=True)
    with translated("cannot download the model version"):
        return mlflow.artifacts.download_artifacts(
            artifact_uri=location, dst_path=model_dir, tracking_uri=config.tracking_uri(),
            registry_uri=config.tracking_uri())


def load_pyfunc(model_uri: str, *, dependency_warnings: bool = True):
    """Load ``models:/NAME/VERSION`` as a pyfunc model, from a checked local copy.

    The version's files are copied (:func:`fetch_version`) into a temporary folder
    and MLflow loads that folder: no process-global tracking state is read or
    changed, so a kernel or server using ``$MLFLOW_TRACKING_URI`` keeps using it.
    The folder is removed when the model object is garbage-collected.
    ``dependency_warnings=False`` skips MLflow's requirement-mismatch warnings
    (see :func:`serialization.load_checked`); the safety checks are the same.

    Raises:
        UsageError: not a ``models:/NAME/VERSION`` URI, or its source is refused.
    """
    import shutil
    import tempfile
    import weakref

    match = _VERSION_URI.match(model_uri) if isinstance(model_uri, str) else None
    if match is None:
        raise UsageError("expected a model URI of the form models:/NAME/VERSION")
    folder = tempfile.mkdtemp(prefix="mlops-model-")
    try:
        local = fetch_version(match.group(1), match.group(2), folder)
        # The files are ours; what they may build is checked before MLflow loads them.
        model = serialization.load_checked(local,
                                           dependency_warnings=dependency_warnings)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        weakref.finalize(model, shutil.rmtree, folder, True)
    except TypeError:  # not weak-referenceable: leave the copy to the temp cleaner
        pass
    return model


def load_model(model_uri: str):
    """Load ``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` (see :func:`load_pyfunc`).

    Raises:
        UsageError: another kind of URI; NotFoundError: unknown model, version or alias.
    """
    match = _ALIAS_URI.match(model_uri) if isinstance(model_uri, str) else None
    if match is not None:
        holder = common.resolve_reference(match.group(1), match.group(2))
        model_uri = f"models:/{holder.name}/{holder.version}"
    elif not (isinstance(model_uri, str) and _VERSION_URI.match(model_uri)):
        raise UsageError(f"expected models:/NAME@ALIAS or models:/NAME/VERSION, got "
                         f"{str(model_uri)[:80]!r}")
    return load_pyfunc(model_uri)
