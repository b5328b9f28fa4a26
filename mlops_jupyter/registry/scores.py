"""How well predictions match the truth, and the evaluation dataset they are scored on.

Pure functions, no model loading: the scoring process (:mod:`.scoring`) and the
monitoring checks call them on predictions they computed.
"""

from __future__ import annotations

import os
from typing import Any

from ..exceptions import UsageError
from ..tables import read_table
from .policy import Evaluation


def load_dataset(evaluation: Evaluation):
    """``(X, y)`` from the evaluation file; UsageError when it cannot be used."""
    path = evaluation.data
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise UsageError(f"the evaluation dataset {name} does not exist "
                         "(run the step that writes it first)")
    frame = read_table(path, label=f"the evaluation dataset {name}")
    if evaluation.target not in frame.columns:
        raise UsageError(f"the evaluation dataset {name} has no target column "
                         f"{evaluation.target!r}")
    if frame.empty:
        raise UsageError(f"the evaluation dataset {name} is empty")
    return frame.drop(columns=[evaluation.target]), frame[evaluation.target]


def _as_labels(predictions: Any):
    """Model output → one prediction per row: argmax of class scores, else flattened."""
    import numpy as np

    values = predictions.to_numpy() if hasattr(predictions, "to_numpy") else \
        np.asarray(predictions)
    if values.ndim == 2 and values.shape[1] > 1:
        return values.argmax(axis=1)
    return values.reshape(len(values), -1)[:, 0] if values.ndim > 1 else values


def score(predictions: Any, truth: Any, metric: str) -> float:
    """``metric`` of ``predictions`` against ``truth``.

    Classification metrics round probability-like outputs (a single column in
    [0, 1] for 0/1 labels) to labels.
    """
    import numpy as np
    from sklearn import metrics as sk

    predicted = _as_labels(predictions)
    truth = np.asarray(truth)
    if len(predicted) != len(truth):
        raise UsageError(f"the model returned {len(predicted)} predictions "
                         f"for {len(truth)} rows")
    if metric in ("rmse", "mae", "r2"):
        function = {"rmse": sk.root_mean_squared_error, "mae": sk.mean_absolute_error,
                    "r2": sk.r2_score}[metric]
        return float(function(truth, predicted.astype(float)))
    if predicted.dtype.kind == "f" and set(np.unique(truth)) <= {0, 1}:
        predicted = (predicted >= 0.5).astype(truth.dtype)
    if metric == "accuracy":
        return float(sk.accuracy_score(truth, predicted))
    function = {"f1": sk.f1_score, "precision": sk.precision_score,
                "recall": sk.recall_score}[metric]
    average = "binary" if len(np.unique(truth)) <= 2 else "macro"
    return float(function(truth, predicted, average=average, zero_division=0))
