"""Every name rule of mlops-jupyter, in one place.

A name that reaches a file path, a REST path, an MLflow filter or a command line is
checked here and nowhere else. Each rule is a compiled pattern meant for
``fullmatch`` (the ``^...$`` anchors stay so ``match`` is safe too) with an explicit
length bound, plus a ``check_*`` function that raises :class:`UsageError` with the
one line users see, and an ``is_*`` predicate for callers that collect problems
(the pipeline spec reports every problem at once, each with its own wording).
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from .exceptions import UsageError

#: Registered-model names. Stricter than MLflow on purpose: names appear in
#: ``models:/NAME@ALIAS`` and ``NAME/VERSION`` references on the command line and in
#: REST paths. 1-128 characters, first one alphanumeric.
MODEL_NAME_MAX = 128
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

#: Alias names (``champion``, ``challenger``): 1-64 characters.
ALIAS_MAX = 64
ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
#: Aliases MLflow reserves for itself: ``latest`` and ``v1``, ``v2``... (any case).
RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)

#: Model versions: MLflow keeps them as 64-bit integers.
MAX_VERSION = 2**63 - 1

#: Pipeline names, step names, step output names and schedule names: 1-100 characters.
STEP_NAME_MAX = 100
STEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
SCHEDULE_NAME = STEP_NAME

#: Notebook parameter names (pipeline ``parameters:``, ``--param`` overrides,
#: schedule parameters): what papermill can assign in the injected cell — a Python
#: identifier that is not a keyword; 1-255 characters.
PARAMETER_NAME_MAX = 255

#: Published dashboard files (``MODEL-TEMPLATE.ipynb`` in the dashboards folder):
#: one file name, no folder; 7-256 characters.
DASHBOARD_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,250}\.ipynb$")

#: A pipeline run id names the run folder: no separators, nothing that could leave
#: it. 1-64 characters.
RUN_ID_MAX = 64
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")

#: Metric keys and parameter names MLflow accepts: letters, digits, ``_-. /``;
#: 1-250 characters.
TRACKED_KEY_MAX = 250
TRACKED_KEY = re.compile(r"^[\w\-. /]{1,250}$")

#: Experiment names: any text MLflow stores, without control characters.
EXPERIMENT_NAME_MAX = 500


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _fits(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def is_parameter_name(value: Any) -> bool:
    """True when ``value`` is a notebook parameter name papermill can assign."""
    return (isinstance(value, str) and 0 < len(value) <= PARAMETER_NAME_MAX
            and value.isidentifier() and not keyword.iskeyword(value))


def is_dashboard_file(value: Any) -> bool:
    """True when ``value`` is a published dashboard's file name."""
    return _fits(DASHBOARD_FILE, value)


def is_model_name(value: Any) -> bool:
    """True when ``value`` is a valid registered-model name."""
    return _fits(MODEL_NAME, value)


def is_step_name(value: Any) -> bool:
    """True when ``value`` is a valid pipeline, step, output or schedule name."""
    return _fits(STEP_NAME, value)


def is_run_id(value: Any) -> bool:
    """True when ``value`` is a valid pipeline run id."""
    return _fits(RUN_ID, value)


def check_model_name(name: Any) -> str:
    """Check a registered-model name.

    Raises:
        UsageError: not a string, empty, too long, or with characters other than
            letters, digits, ``.``, ``_`` and ``-`` (first character alphanumeric).
    """
    if not is_model_name(name):
        raise UsageError(
            f"invalid model name {str(name)[:80]!r}: use 1-128 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit")
    return name


def check_alias(alias: Any) -> str:
    """Check an alias name (``champion``, ``challenger``, ...).

    Raises:
        UsageError: malformed, or reserved by MLflow (``latest``, ``v1``...).
    """
    if not _fits(ALIAS, alias):
        raise UsageError(f"invalid alias {str(alias)[:80]!r}: use letters, digits, '_' or '-', "
                         "starting with a letter or '_'")
    if RESERVED_ALIAS.fullmatch(alias):
        raise UsageError(f"alias {alias!r} is reserved by MLflow")
    return alias


def is_decimal(text: Any) -> bool:
    """Whether ``text`` is a string of ASCII digits 0-9 only (``int()`` accepts it).

    ``str.isdigit`` alone also says yes to superscripts and other Unicode digits
    (``"¹¹"``), on which ``int()`` raises.
    """
    return isinstance(text, str) and text.isascii() and text.isdigit()


def check_version(version: Any) -> str:
    """Return ``version`` in MLflow's string form.

    Raises:
        UsageError: not a positive integer of at most 64 bits.
    """
    text = str(version).strip()
    # Anything longer than 64 bits is a 400 here, not a store error later.
    if isinstance(version, bool) or not is_decimal(text) \
            or len(text) > 19 or not 1 <= int(text) <= MAX_VERSION:
        raise UsageError(f"invalid model version {str(version)[:40]!r}: expected a positive "
                         "number (at most 64 bits)")
    return str(int(text))


def check_schedule_name(name: Any) -> str:
    """Check a schedule name.

    Raises:
        UsageError: anything but letters, digits, ``_-.`` (at most 100).
    """
    if not _fits(SCHEDULE_NAME, name):
        raise UsageError(f"schedule name {_short(name)}: use letters, digits, '_', '-', '.' "
                         "(at most 100)")
    return name


def check_run_id(value: str | None, what: str = "run id") -> str | None:
    """``value`` when it is a safe pipeline run id (or None).

    Raises:
        UsageError: anything but letters, digits, '-' and '_' (at most 64).
    """
    if value is not None and not is_run_id(value):
        raise UsageError(f"{what} takes letters, digits, '-' and '_' (at most 64)")
    return value


def check_tracked_key(key: Any) -> str:
    """Check a metric key or parameter name.

    Raises:
        UsageError: anything but letters, digits, ``_-. /``, or over 250 characters.
    """
    if not _fits(TRACKED_KEY, key):
        raise UsageError(
            f"invalid name {key!r}: use letters, digits, '_', '-', '.', ' ' or '/' "
            "(at most 250 characters)")
    return key


def check_experiment_name(name: Any) -> str:
    """Check an experiment name the way MLflow will, before anything is queued.

    Returns:
        The name without surrounding white space.

    Raises:
        UsageError: the name is empty, not a string, too long or holds control
            characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise UsageError("experiment name must be a non-empty string")
    if len(name) > EXPERIMENT_NAME_MAX:
        raise UsageError(
            f"experiment name is {len(name)} characters; MLflow allows {EXPERIMENT_NAME_MAX}")
    if any(ord(ch) < 32 for ch in name):
        raise UsageError("experiment name must not contain control characters or newlines")
    return name.strip()
