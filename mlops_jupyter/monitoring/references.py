"""Reference profiles stored with model versions.

A profile (:class:`.profile.ReferenceProfile`, plain JSON — never a pickle) is logged
as the artifact :data:`ARTIFACT` of the version's run when the model is registered
(``register_model(..., reference=frame)``) or later (``mlops drift reference``), and
the version is tagged so a drift check finds it without the training data.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from ..exceptions import NotFoundError, UsageError
from ..registry import common

ARTIFACT = "mlops/reference_profile.json"
VERSION_TAG = "mlops.monitor.reference"


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
    run_id = model_version.run_id
    if not run_id:
        raise NotFoundError(f"{name} v{model_version.version} has no run to keep its "
                            "reference profile in")
    client = common.client()
    with common.mlflow_errors(f"cannot store the reference profile of {name}"):
        client.log_text(run_id, profile.to_json(), ARTIFACT)
        client.set_model_version_tag(name, str(model_version.version), VERSION_TAG, ARTIFACT)
    return {"name": name, "version": str(model_version.version), "run_id": run_id,
            "columns": profile.column_names, "rows": profile.row_count}


def load_reference(model_version):
    """The stored profile of a ``ModelVersion``.

    Raises:
        NotFoundError: the version has no reference profile.
        UsageError: the stored profile is unreadable.
    """
    from .profile import ReferenceProfile

    tags = dict(model_version.tags or {})
    if VERSION_TAG not in tags or not model_version.run_id:
        raise NotFoundError(
            f"{model_version.name} v{model_version.version} has no reference profile: "
            f"register it with reference=<training frame>, run `mlops drift reference "
            f"{model_version.name}/{model_version.version} --data FILE`, or pass "
            "--reference FILE")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # CLI output
    client = common.client()
    with tempfile.TemporaryDirectory(prefix="mlops-reference-") as folder, \
            common.mlflow_errors("cannot read the reference profile"):
        path = client.download_artifacts(model_version.run_id, ARTIFACT, folder)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    try:
        return ReferenceProfile.from_json(text)
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"the reference profile of {model_version.name} "
                         f"v{model_version.version} is unreadable: {error}") from None


def has_reference(model_version) -> bool:
    """Whether a profile was stored for this version."""
    return VERSION_TAG in dict(model_version.tags or {})
