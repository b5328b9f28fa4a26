"""Where a model version keeps its reference profile (storage only).

The profile itself (:class:`mlops_jupyter.monitoring.profile.ReferenceProfile`, plain
JSON — never a pickle) is built by the monitoring package, which sits above the
registry; the registry only stores its JSON as the artifact :data:`ARTIFACT` of the
version's run and tags the version, so a drift check finds it without the training
data.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Protocol

from ..exceptions import NotFoundError, UsageError
from ..mlflow_errors import translated
from . import common

ARTIFACT = "mlops/reference_profile.json"
VERSION_TAG = "mlops.monitor.reference"


class Profile(Protocol):
    """What the registry needs of a reference profile."""

    row_count: int

    @property
    def column_names(self) -> list[str]: ...  # pragma: no cover

    def to_json(self) -> str: ...  # pragma: no cover


def is_profile(value: Any) -> bool:
    """Whether ``value`` is a built profile (not, say, the frame it is built from)."""
    return callable(getattr(value, "to_json", None)) and hasattr(value, "column_names") \
        and hasattr(value, "row_count")


def check_profile(value: Any) -> Profile:
    """``value`` when it is a built profile.

    Raises:
        UsageError: anything else (a frame, say), with the way to build one.
    """
    if not is_profile(value):
        raise UsageError("reference must be a reference profile here: build it with "
                         "mlops_jupyter.monitoring.references.build_profile(frame), or pass "
                         "the frame to mlops_jupyter.register_model")
    return value


def store_profile(model_version, profile: Profile) -> dict[str, Any]:
    """Store ``profile`` with ``model_version`` (a ``ModelVersion``).

    Returns:
        ``{name, version, run_id, columns, rows}``.

    Raises:
        UsageError: ``profile`` is not a built profile.
        NotFoundError: the version has no run to store the profile in.
    """
    check_profile(profile)
    name, version = model_version.name, str(model_version.version)
    run_id = model_version.run_id
    if not run_id:
        raise NotFoundError(f"{name} v{version} has no run to keep its reference profile in")
    client = common.client()
    with translated(f"cannot store the reference profile of {name}"):
        client.log_text(run_id, profile.to_json(), ARTIFACT)
        client.set_model_version_tag(name, version, VERSION_TAG, ARTIFACT)
    return {"name": name, "version": version, "run_id": run_id,
            "columns": profile.column_names, "rows": profile.row_count}


def has_reference(model_version) -> bool:
    """Whether a profile was stored for this version."""
    return VERSION_TAG in dict(model_version.tags or {})


def read_profile_text(model_version) -> str:
    """The stored profile JSON of a ``ModelVersion``.

    Raises:
        NotFoundError: the version has no reference profile.
    """
    if not has_reference(model_version) or not model_version.run_id:
        raise NotFoundError(
            f"{model_version.name} v{model_version.version} has no reference profile: "
            f"register it with reference=<training frame>, run `mlops drift reference "
            f"{model_version.name}/{model_version.version} --data FILE`, or pass "
            "--reference FILE")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # CLI output
    client = common.client()
    with tempfile.TemporaryDirectory(prefix="mlops-reference-") as folder, \
            translated("cannot read the reference profile"):
        path = client.download_artifacts(model_version.run_id, ARTIFACT, folder)
        with open(path, encoding="utf-8") as handle:
            return handle.read()
