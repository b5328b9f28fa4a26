"""Refuse model sources outside this registry's own artifact store.

Only :func:`safe_model_uri` is allowed to hand out a URI that will be *loaded*
(unpickled) — for the gate's evaluation. Listing and lineage read metadata only.
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
from . import common

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


def allowed_roots(experiment_artifact_location: str | None = None) -> list[str]:
    """Artifact roots this registry owns.

    With the embedded store: its artifact directory only. With a configured
    store: the artifact location of the experiment that produced the model (the
    store decides where artifacts live; anything elsewhere was put there by hand).
    """
    if config.is_embedded_store(config.tracking_uri()):
        return [config.artifact_root()]
    return [experiment_artifact_location] if experiment_artifact_location else []


def resolve_storage(version) -> tuple[str, str | None]:
    """Where a model version's files really are, and its experiment's artifact root.

    Metadata only: looks up the LoggedModel or run, never downloads.
    """
    client = common.client()
    source = version.source or ""
    check_text(source)
    model_id = getattr(version, "model_id", None)
    match = re.match(r"^models:/(m-[0-9a-f]+)$", source)
    if match or (model_id and source.startswith("models:/")):
        with common.mlflow_errors("cannot read the logged model"):
            logged = client.get_logged_model(match.group(1) if match else model_id)
            experiment = client.get_experiment(logged.experiment_id)
        return logged.artifact_location, experiment.artifact_location
    if source.startswith("models:/"):
        raise UsageError("refused model source: a registry reference to another model")
    if source.startswith("runs:/"):
        run_id, _, rel = source[len("runs:/"):].partition("/")
        with common.mlflow_errors("cannot read the run"):
            run = client.get_run(run_id)
            experiment = client.get_experiment(run.info.experiment_id)
        return f"{run.info.artifact_uri.rstrip('/')}/{rel}", experiment.artifact_location
    experiment_root = None
    if version.run_id:
        try:
            run = client.get_run(version.run_id)
            experiment_root = client.get_experiment(run.info.experiment_id).artifact_location
        except Exception:  # noqa: BLE001 - no run: only the embedded root can vouch
            experiment_root = None
    return source, experiment_root


def safe_model_uri(name: str, version: Any) -> str:
    """``models:/NAME/VERSION`` after checking its files live in our artifact store.

    Raises:
        NotFoundError: unknown model/version; UsageError: the source is refused.
    """
    model_version = common.get_version(name, version)
    location, experiment_root = resolve_storage(model_version)
    check_location(location, allowed_roots(experiment_root))
    return f"models:/{name}/{model_version.version}"


def load_pyfunc(model_uri: str):
    """Load ``models:/NAME/VERSION`` as a pyfunc model after :func:`safe_model_uri`.

    For ``evaluate`` callbacks of the gate. MLflow's loaders resolve ``models:/``
    through the process-global tracking URI, so it is pointed at our store for the
    duration of the load.

    Raises:
        UsageError: not a ``models:/NAME/VERSION`` URI, or its source is refused.
    """
    match = _VERSION_URI.match(model_uri) if isinstance(model_uri, str) else None
    if match is None:
        raise UsageError("expected a model URI of the form models:/NAME/VERSION")
    uri = safe_model_uri(match.group(1), match.group(2))
    import mlflow.pyfunc
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    with _use_tracking_uri(config.tracking_uri()):
        return mlflow.pyfunc.load_model(uri)


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
