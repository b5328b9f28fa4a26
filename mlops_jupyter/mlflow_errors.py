"""The one mapping from MLflow (and store driver) errors to the exception tree.

MLflow reports what went wrong as ``MlflowException.error_code``. Code that has to
branch on it asks the predicates here (:func:`is_not_found`, ...); code that only
has to report it raises :func:`to_error` or wraps the call in :func:`translated`.

The mapping, for users and for the tracking writer alike:

=============================  ==========================  ======  ===========
MLflow error code              our exception               HTTP    writer
=============================  ==========================  ======  ===========
RESOURCE_DOES_NOT_EXIST        StoreNotFoundError          404     drops it
RESOURCE_ALREADY_EXISTS        StoreConflictError          409     drops it
INVALID_PARAMETER_VALUE,       StoreRejectedError          400     drops it
INVALID_STATE, BAD_REQUEST,
PERMISSION_DENIED, ...
TypeError/ValueError (no code) StoreRejectedError          400     drops it
anything else                  StoreUnavailableError       503     retries
=============================  ==========================  ======  ===========

MLflow is not imported here: the predicates read the attribute, so this module is
cheap to import from anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .exceptions import (
    MLOpsError,
    StoreConflictError,
    StoreNotFoundError,
    StoreRejectedError,
    StoreUnavailableError,
)

NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_PARAMETER = "INVALID_PARAMETER_VALUE"

# MLflow error codes meaning "this request will never succeed as sent".
PERMANENT_CODES = frozenset({
    INVALID_PARAMETER,
    "INVALID_STATE",
    "BAD_REQUEST",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
    "FEATURE_DISABLED",
})


def error_code(exc: BaseException) -> str | None:
    """MLflow's ``error_code`` of ``exc`` (None for other exceptions)."""
    code = getattr(exc, "error_code", None)
    return code if isinstance(code, str) else None


def is_not_found(exc: BaseException) -> bool:
    """True when MLflow says the resource does not exist."""
    return error_code(exc) == NOT_FOUND


def is_already_exists(exc: BaseException) -> bool:
    """True when MLflow says the resource exists already.

    Some MLflow stores raise it without the code; their message says so.
    """
    return error_code(exc) == ALREADY_EXISTS or "already exists" in str(exc).lower()


def is_invalid_parameter(exc: BaseException) -> bool:
    """True when MLflow refused a value of the request (a malformed id, a bad token)."""
    return error_code(exc) == INVALID_PARAMETER


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of ``exc``'s message (its type name when empty), at most ``limit``."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:limit]


def to_error(exc: BaseException, context: str = "") -> MLOpsError:
    """Our exception for ``exc`` raised by MLflow, SQLAlchemy or HTTP (see the table).

    Args:
        exc: what the store raised; one of ours is returned unchanged.
        context: what was being done, put before MLflow's own first line.
    """
    if isinstance(exc, MLOpsError):
        return exc
    prefix = f"{context}: " if context else ""
    message = f"{prefix}{first_line(exc)}"
    code = error_code(exc)
    if code == NOT_FOUND:
        return StoreNotFoundError(message)
    if code == ALREADY_EXISTS:
        return StoreConflictError(message)
    if code in PERMANENT_CODES:
        return StoreRejectedError(message)
    if isinstance(exc, (TypeError, ValueError)) and code is None:
        return StoreRejectedError(message)
    return StoreUnavailableError(message)


@contextmanager
def translated(context: str) -> Iterator[None]:
    """Turn MLflow exceptions raised inside the block into ours (see :func:`to_error`)."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise to_error(exc, context) from None
