"""The one exception tree of mlops-jupyter.

Every error a user can cause derives from :class:`MLOpsError`. Its message is one
clear line meant for people: the CLI prints it, magics display it, and server
handlers return it as ``{"error": message}`` with :attr:`MLOpsError.http_status`.
"""

from __future__ import annotations


class MLOpsError(Exception):
    """Base class: a failure with a one-line, user-facing message."""

    http_status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(MLOpsError):
    """Bad input from a user: unknown option, malformed value, invalid name."""

    http_status = 400


class NotFoundError(MLOpsError):
    """A named thing (experiment, run, model, file) does not exist."""

    http_status = 404


class ConfigurationError(MLOpsError):
    """The environment is unusable: unwritable home directory, bad tracking URI."""

    http_status = 500


class StoreUnavailableError(MLOpsError):
    """The tracking store did not answer or is locked; the operation may be retried."""

    http_status = 503


class StoreRejectedError(MLOpsError):
    """The tracking store refused a request for good; retrying will not help."""

    http_status = 400


class ConflictError(MLOpsError):
    """The request clashes with the current state: a file exists, a run is going on."""

    http_status = 409


class StoreNotFoundError(NotFoundError, StoreRejectedError):
    """The tracking store has no such resource: a 404 for users, and final for the
    tracking writer (retrying will not make it appear)."""

    http_status = 404


class StoreConflictError(ConflictError, StoreRejectedError):
    """The tracking store already holds that resource: a 409 for users, and final for
    the tracking writer."""

    http_status = 409
