"""The full Evidently ``DataDriftPreset`` report, on bounded samples.

Evidently takes minutes and produces megabytes of HTML on large frames, so both
frames are first cut to at most ``max_rows`` random rows. The report is the visual
companion of :func:`mlops_jupyter.monitoring.drift.check_drift`, whose verdicts
(computed on all rows) are the ones to act on; on a sample, Evidently's numbers
differ by sampling noise.

Evidently is imported inside the functions only: importing it costs seconds.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import UsageError
from .frames import check_frame
from .profile import CATEGORICAL, NUMERICAL, ReferenceProfile

MAX_ROWS = 5000


@dataclass(frozen=True)
class EvidentlyReport:
    """A rendered Evidently report.

    Attributes:
        html: Standalone HTML page.
        data: The snapshot's metrics and tests as plain JSON data
            (``snapshot.dict()`` passed through JSON).
        reference_rows: Reference rows the report saw.
        current_rows: Current rows the report saw.
    """

    html: str
    data: dict
    reference_rows: int
    current_rows: int


def evidently_report(
    reference_sample_df: pd.DataFrame,
    current_df: pd.DataFrame,
    *,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
    column_types: Mapping[str, str] | None = None,
) -> EvidentlyReport:
    """Run Evidently's ``DataDriftPreset`` on bounded random samples of two frames.

    Only the reference's columns are compared; extra current columns are dropped, and
    so is a column with no value on either side (Evidently refuses an empty column;
    :func:`~.drift.check_drift` reports it as skipped).

    Args:
        reference_sample_df: Reference rows (e.g. :meth:`ReferenceProfile.reference_sample`).
        current_df: Current data.
        max_rows: Largest number of rows taken from each frame.
        seed: Seed of the row sampling.
        column_types: ``{column: "numerical" | "categorical"}`` to fix the types
            (otherwise Evidently infers them from the current sample).

    Returns:
        The HTML page and JSON data of the report.

    Raises:
        UsageError: Empty frames, ``max_rows`` < 1, or current data lacking a
            reference column.
    """
    if max_rows < 1:
        raise UsageError("max_rows must be ≥ 1")
    check_frame(reference_sample_df, "reference sample")
    check_frame(current_df, "current data")
    columns = list(reference_sample_df.columns)
    missing = [c for c in columns if c not in current_df.columns]
    if missing:
        raise UsageError(f"the current data lacks reference column(s): {', '.join(missing)}")
    ref = _sample(reference_sample_df, max_rows, seed)
    cur = _sample(current_df[columns], max_rows, seed + 1)
    empty = [c for c in columns if ref[c].isna().all() or cur[c].isna().all()]
    if len(empty) == len(columns):
        raise UsageError("no column has values on both sides: nothing to report")
    if empty:
        columns = [c for c in columns if c not in empty]
        ref, cur = ref[columns], cur[columns]

    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = None
    if column_types is not None:
        unknown = [c for c, t in column_types.items() if t not in (NUMERICAL, CATEGORICAL)]
        if unknown:
            raise UsageError(f"column_types must be 'numerical' or 'categorical' "
                             f"(check {', '.join(unknown)})")
        definition = DataDefinition(
            numerical_columns=[c for c in columns if column_types.get(c) == NUMERICAL],
            categorical_columns=[c for c in columns if column_types.get(c) == CATEGORICAL],
        )
    with warnings.catch_warnings():
        # Evidently warns per column about things like NaN in histograms; the report
        # shows what matters.
        warnings.simplefilter("ignore")
        snapshot = Report([DataDriftPreset()], include_tests=True).run(
            current_data=Dataset.from_pandas(cur, data_definition=definition),
            reference_data=Dataset.from_pandas(ref, data_definition=definition),
        )
        html = snapshot.get_html_str(as_iframe=False)
        data = json.loads(snapshot.json())
    return EvidentlyReport(html=html, data=data, reference_rows=len(ref), current_rows=len(cur))


def profile_report(
    profile: ReferenceProfile,
    current_df: pd.DataFrame,
    *,
    max_rows: int = MAX_ROWS,
    seed: int = 0,
) -> EvidentlyReport:
    """The Evidently report of current data against a profile's reference sample.

    Args:
        profile: The reference profile (its stored row sample is the reference).
        current_df: Current data.
        max_rows: Largest number of rows taken from each side.
        seed: Seed of the current-data sampling.

    Returns:
        The HTML page and JSON data of the report, with the profile's column types.
        As in :func:`~.drift.check_drift`, the prediction and target columns may be
        absent from the current data (a production window): they are left out.

    Raises:
        UsageError: As :func:`evidently_report`, or the profile kept no sample rows.
    """
    if not isinstance(profile, ReferenceProfile):
        raise UsageError(f"profile must be a ReferenceProfile, not {type(profile).__name__}")
    sample = profile.reference_sample()
    if len(sample) == 0:
        raise UsageError("the profile kept no reference rows (built with sample_rows=0)")
    optional = {profile.prediction_column, profile.target_column} - {None}
    absent = [c for c in sample.columns if c in optional and c not in current_df.columns]
    types = {c: t for c, t in profile.column_types().items() if c not in absent}
    return evidently_report(sample.drop(columns=absent), current_df, max_rows=max_rows,
                            seed=seed, column_types=types)


def _sample(df: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    if len(df) > rows:
        # Sorted positions keep the frame's row order for Evidently's index plots.
        positions = np.sort(np.random.default_rng(seed).choice(len(df), rows, replace=False))
        df = df.iloc[positions]
    return df.reset_index(drop=True)
