"""Reference profiles of model versions: built here, stored by the registry.

A profile (:class:`.profile.ReferenceProfile`, plain JSON — never a pickle) is built
from the training frame and stored with the version
(:mod:`mlops_jupyter.registry.references`) when the model is registered
(``mlops_jupyter.register_model(..., reference=frame)``) or later
(``mlops drift reference``), so a drift check finds it without the training data.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import UsageError
from ..registry import common
from ..registry.references import read_profile_text, store_profile


def build_profile(frame: Any, *, prediction_column: str | None = None,
                  target_column: str | None = None):
    """A :class:`ReferenceProfile` of ``frame`` (validated by the profile itself)."""
    from .profile import ReferenceProfile

    return ReferenceProfile.from_frame(frame, prediction_column=prediction_column,
                                       target_column=target_column)


def save_reference(name: str, version: Any, frame: Any, *,
                   prediction_column: str | None = None,
                   target_column: str | None = None) -> dict[str, Any]:
    """Profile ``frame`` and store it with ``name``/``version``.

    Returns:
        ``{name, version, run_id, columns, rows}``.

    Raises:
        UsageError: not a usable frame; NotFoundError: unknown model/version, or the
        version has no run to store the profile in.
    """
    model_version = common.get_version(name, version)
    profile = build_profile(frame, prediction_column=prediction_column,
                            target_column=target_column)
    return store_profile(model_version, profile)


def load_reference(model_version):
    """The stored profile of a ``ModelVersion``.

    Raises:
        NotFoundError: the version has no reference profile.
        UsageError: the stored profile is unreadable.
    """
    from .profile import ReferenceProfile

    text = read_profile_text(model_version)
    try:
        return ReferenceProfile.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"the reference profile of {model_version.name} "
                         f"v{model_version.version} is unreadable: {error}") from None
