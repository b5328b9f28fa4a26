"""Shared helpers: name validation, version lookup, MLflow error mapping."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..exceptions import ConflictError, NotFoundError, UsageError
from ..tracking import store

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

# Stricter than MLflow on purpose: names and aliases appear in ``models:/NAME@ALIAS``
# and ``NAME/VERSION`` references on the command line and in REST paths.
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ALIAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)
MAX_VERSION = 2**63 - 1


def validate_model_name(name: Any) -> str:
    """Check a registered-model name.

    Raises:
        UsageError: not a string, empty, too long, or with characters other than
            letters, digits, ``.``, ``_`` and ``-`` (first character alphanumeric).
    """
    if not isinstance(name, str) or not _MODEL_NAME.fullmatch(name):
        raise UsageError(
            f"invalid model name {str(name)[:80]!r}: use 1-128 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit")
    return name


def validate_alias(alias: Any) -> str:
    """Check an alias name (``champion``, ``challenger``, ...).

    Raises:
        UsageError: malformed, or reserved by MLflow (``latest``, ``v1``...).
    """
    if not isinstance(alias, str) or not _ALIAS_NAME.fullmatch(alias):
        raise UsageError(f"invalid alias {str(alias)[:80]!r}: use letters, digits, '_' or '-', "
                         "starting with a letter or '_'")
    if _RESERVED_ALIAS.match(alias):
        raise UsageError(f"alias {alias!r} is reserved by MLflow")
    return alias


def validate_version(version: Any) -> str:
    """Return ``version`` as MLflow's string form; UsageError unless a positive integer."""
    text = str(version).strip()
    # MLflow keeps versions as 64-bit integers: anything longer is a 400, not a store error.
    if isinstance(version, bool) or not text.isascii() or not text.isdigit() \
            or len(text) > 19 or not 1 <= int(text) <= MAX_VERSION:
        raise UsageError(f"invalid model version {str(version)[:40]!r}: expected a positive "
                         "number (at most 64 bits)")
    return str(int(text))


def client() -> MlflowClient:
    """The shared MlflowClient of the configured tracking store."""
    return store.client()


@contextmanager
def mlflow_errors(context: str):
    """Translate MLflow exceptions raised inside the block into our tree."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        code = getattr(exc, "error_code", None)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        if code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(f"{context}: {first}") from None
        if code == "RESOURCE_ALREADY_EXISTS":
            raise ConflictError(f"{context}: {first}") from None
        raise store.classify_error(exc, context) from None


def get_registered_model(name: str):
    """The registered model ``name``; NotFoundError when there is none."""
    from mlflow.exceptions import MlflowException

    validate_model_name(name)
    try:
        return client().get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(f"no registered model named {name!r}") from None
        raise store.classify_error(exc, f"cannot read model {name!r}") from None


def get_version(name: str, version: Any, *, registered=None) -> ModelVersion:
    """Model version ``name``/``version``; NotFoundError for an unknown model or version.

    ``registered``: the model, when the caller already read it (saves a lookup).
    """
    from mlflow.exceptions import MlflowException

    validate_model_name(name)
    version = validate_version(version)
    if registered is None:
        get_registered_model(name)
    try:
        return client().get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFoundError(f"model {name!r} has no version {version}") from None
        raise store.classify_error(exc, f"cannot read {name!r} version {version}") from None


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
    if text.isdigit():
        return get_version(name, text)
    alias = validate_alias(text.lstrip("@"))
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
        return validate_model_name(name), validate_alias(alias)
    if "/" in text:
        name, _, version = text.partition("/")
        return validate_model_name(name), validate_version(version)
    return validate_model_name(text), None
