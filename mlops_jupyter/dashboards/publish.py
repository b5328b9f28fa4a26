"""Publish a dashboard: a template notebook with its parameters filled in.

A published dashboard is an ordinary notebook ``<model>-<template>.ipynb`` in the
dashboards folder (``<home>/dashboards``, :func:`dashboards_dir` — the one folder the
CLI, the demo and the JupyterLab sidebar all publish to): the template's
``parameters`` cell followed by a papermill ``injected-parameters`` cell (``model``,
``tracking_uri``), and ``metadata.mlops_dashboard`` saying what it shows. Voila
renders it; it reads stored results only, so publishing is instant and re-publishing
the same model and template replaces the file.

Every notebook written here is **signed** (:mod:`.trust`); Voila runs signed
notebooks only, and :func:`list_dashboards` lists signed ones only.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .. import config, names
from ..exceptions import ConfigurationError, UsageError
from . import trust

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATES = {
    "overview": "champion and challenger, metrics across versions, lineage, alias history",
    "drift": "drift over time, per-feature verdicts and history, the latest Evidently report",
    "health": "drift checks, training pipeline runs and scheduled jobs over time",
    "production": "the serving endpoint's traffic, latency, errors, live accuracy and A/B "
                  "comparison, alias swaps marked",
}
ALL = "all"
METADATA_KEY = "mlops_dashboard"
DIRECTORY_NAME = "dashboards"


def dashboards_dir(create: bool = True) -> Path:
    """The folder of published dashboards, ``<home>/dashboards``: the one place the
    CLI, the demo and the server publish to, list and serve by default."""
    folder = config.home_dir(create=create) / DIRECTORY_NAME
    if create:
        _make_dir(folder)
    return folder


def validate_template(template: Any) -> list[str]:
    """The template names ``template`` stands for (``all`` means every one).

    Raises:
        UsageError: an unknown template name.
    """
    if template == ALL:
        return list(TEMPLATES)
    if not isinstance(template, str) or template not in TEMPLATES:
        raise UsageError(f"unknown dashboard template {str(template)[:40]!r}: "
                         f"one of {', '.join(TEMPLATES)} or {ALL}")
    return [template]


def validate_directory(directory: Any) -> Path:
    """An output folder given by a user, as an absolute path.

    Raises:
        UsageError: empty, not text, with control characters, or an existing file.
    """
    if not isinstance(directory, (str, os.PathLike)) or not str(directory).strip():
        raise UsageError("the dashboards folder must be a non-empty path")
    text = str(directory)
    if any(ord(char) < 32 for char in text):
        raise UsageError("the dashboards folder must not contain control characters")
    path = Path(text).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path.name!r} exists and is not a folder")
    return path


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the dashboards folder: {exc.strerror}") \
            from None


def publishable_tracking_uri(uri: str) -> str:
    """The tracking URI to write into a dashboard: credentials are never written to a
    file; a URI holding a password becomes "" (the kernel then uses the server's
    ``$MLFLOW_TRACKING_URI``)."""
    parts = urlsplit(uri)
    if parts.password:
        return ""
    if parts.username:  # a token-like user name: keep the host, drop the user
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return uri


def dashboard_file(model: str, template: str) -> str:
    """The file name of a published dashboard."""
    return f"{model}-{template}.ipynb"


def publish(model: str, template: str = "drift", out_dir: str | os.PathLike | None = None, *,
            tracking_uri: str | None = None, check_model: bool = True) -> Path:
    """Write the dashboard ``template`` of ``model`` into the dashboards folder.

    Args:
        model: Registered model name.
        template: ``overview``, ``drift``, ``health`` or ``production`` (see
            :func:`publish_all`).
        out_dir: Folder to write to (created if needed); default :func:`dashboards_dir`.
        tracking_uri: Store the dashboard reads; default the configured one.
        check_model: Refuse a model that is not registered (a typo would otherwise
            publish a page that only says so).

    Returns:
        The notebook's path.

    Raises:
        UsageError: malformed model name, unknown template, bad folder.
        NotFoundError: ``check_model`` and no such registered model.
    """
    from ..registry import common

    names.check_model_name(model)
    if template == ALL:
        raise UsageError("publish one template at a time; publish_all publishes every one")
    (name,) = validate_template(template)
    folder = dashboards_dir() if out_dir is None else validate_directory(out_dir)
    if check_model:
        common.get_registered_model(model)
    _make_dir(folder)
    uri = config.tracking_uri() if tracking_uri is None else tracking_uri
    notebook = _parameterised(name, model, publishable_tracking_uri(uri))
    target = folder / dashboard_file(model, name)
    _write_atomically(notebook, target)
    return target


def publish_all(model: str, out_dir: str | os.PathLike | None = None, *,
                tracking_uri: str | None = None, check_model: bool = True) -> list[Path]:
    """Publish every template of ``model``; see :func:`publish`."""
    return [publish(model, name, out_dir, tracking_uri=tracking_uri,
                    check_model=check_model and index == 0)
            for index, name in enumerate(TEMPLATES)]


def _parameterised(template: str, model: str, tracking_uri: str):
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    source = load_notebook_node(str(TEMPLATE_DIR / f"{template}.ipynb"))
    notebook = parameterize_notebook(source, {"model": model, "tracking_uri": tracking_uri},
                                     kernel_name="python3", language="python")
    notebook.metadata[METADATA_KEY] = {
        "model": model, "template": template,
        "published": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    return notebook


def _write_atomically(notebook, target: Path) -> None:
    """Write, sign (the bytes as written), then move into place: the file never
    appears unsigned, and the notebook it replaces is no longer trusted."""
    import nbformat

    handle, temporary = tempfile.mkstemp(prefix=".publish-", suffix=".ipynb",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(notebook, stream)
        os.chmod(temporary, 0o644)
        if target.is_file():  # first: the new one may hash the same
            trust.unsign_file(target)
        trust.sign_file(temporary)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigurationError(f"cannot write the dashboard {target.name!r}: "
                                 f"{exc.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def list_dashboards(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Published dashboards in ``directory`` (default :func:`dashboards_dir`), sorted by
    model and template: ``file, model, template, published``.

    Only notebooks signed by :func:`publish` are dashboards: others (without
    mlops-jupyter's metadata, hand-written with it, or changed after publishing) are
    skipped, as Voila refuses to run them.
    """
    folder = dashboards_dir() if directory is None else validate_directory(directory)
    if not folder.is_dir():
        return []
    found = []
    with trust.notary() as notary:
        if notary is None:  # nothing was ever signed in this home
            return []
        for path in sorted(folder.glob("*.ipynb")):
            if path.name.startswith(".") or not path.is_file():
                continue
            notebook = trust.read_signed(path, notary)
            meta = None if notebook is None else notebook.metadata.get(METADATA_KEY)
            if isinstance(meta, dict) and meta.get("template") in TEMPLATES:
                found.append({"file": path.name, "model": str(meta.get("model")),
                              "template": meta["template"],
                              "published": meta.get("published")})
    return sorted(found, key=lambda item: (item["model"], list(TEMPLATES).index(item["template"])))
