"""Shared registry helpers: the client, model and version lookup, references."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import mlflow_errors as _errors
from .. import names
from ..exceptions import NotFoundError, UsageError
from ..tracking import store

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

# Kept for callers outside the registry that still import the old name.


def client() -> MlflowClient:
    """The shared MlflowClient of the configured tracking store."""
    return store.client()


# Kept for callers outside the registry that still use the old name.


def get_registered_model(name: str):
    """The registered model ``name``; NotFoundError when there is none."""
    from mlflow.exceptions import MlflowException

    names.check_model_name(name)
    try:
        return client().get_registered_model(name)
    except MlflowException as exc:
        if _errors.is_not_found(exc):
            raise NotFoundError(f"no registered model named {name!r}") from None
        raise _errors.to_error(exc, f"cannot read model {name!r}") from None


def get_version(name: str, version: Any, *, registered=None) -> ModelVersion:
    """Model version ``name``/``version``; NotFoundError for an unknown model or version.

    ``registered``: the model, when the caller already read it (saves a lookup).
    """
    from mlflow.exceptions import MlflowException

    names.check_model_name(name)
    version = names.check_version(version)
    if registered is None:
        get_registered_model(name)
    try:
        return client().get_model_version(name, version)
    except MlflowException as exc:
        if _errors.is_not_found(exc):
            raise NotFoundError(f"model {name!r} has no version {version}") from None
        raise _errors.to_error(exc, f"cannot read {name!r} version {version}") from None


def alias_holder(name: str, alias: str, *, registered=None) -> ModelVersion | None:
    """The version currently holding ``alias`` of ``name``, or None when unset."""
    model = registered if registered is not None else get_registered_model(name)
    version = (model.aliases or {}).get(alias)
    if version is None:
        return None
    return client().get_model_version(name, str(version))


def resolve_reference(name: str, version_or_alias: Any) -> ModelVersion:
    """A version by number (``3``, ``"3"``) or alias (``"champion"``, ``"@champion"``).

    Raises:
        NotFoundError: unknown model, version or alias.
    """
    text = str(version_or_alias).strip()
    if names.is_decimal(text):
        return get_version(name, text)
    alias = names.check_alias(text.lstrip("@"))
    holder = alias_holder(name, alias)
    if holder is None:
        raise NotFoundError(f"model {name!r} has no alias {alias!r}")
    return holder


def parse_model_reference(reference: str) -> tuple[str, str | None]:
    """Split ``NAME``, ``NAME@ALIAS`` or ``NAME/VERSION`` into (name, version-or-alias)."""
    if not isinstance(reference, str) or not reference.strip():
        raise UsageError("expected a model reference: NAME, NAME@ALIAS or NAME/VERSION")
    text = reference.strip()
    if "@" in text:
        name, _, alias = text.partition("@")
        return names.check_model_name(name), names.check_alias(alias)
    if "/" in text:
        name, _, version = text.partition("/")
        return names.check_model_name(name), names.check_version(version)
    return names.check_model_name(text), None
