"""Score registered versions on a declared evaluation dataset, for the gate.

Versions are immutable, so a score is memoized per (store, version URI, dataset file
as it is now, target, metric). Models are never loaded in this process: each score is
computed by :mod:`.scoring` in a short-lived child process, which loads only through
:func:`.safety.load_pyfunc` (it refuses sources outside the default artifact root).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from typing import Any

from .. import config
from ..exceptions import UsageError
from ..tables import read_table
from . import scoring
from .policy import Evaluation

_MEMO: dict[tuple, float] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 256


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


def _file_state(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns


def evaluator(evaluation: Evaluation, metric: str) -> Callable[[str], float]:
    """``evaluate(models:/NAME/VERSION) -> score`` on the declared dataset.

    Scores are computed in a short-lived process of its own
    (:func:`.scoring.score_versions`): this process never loads a model.
    ``evaluate.many([uri, ...])`` scores several versions of one model in one process.
    """

    def many(model_uris: list[str]) -> list[float]:
        parsed = [re.match(r"^models:/([^/@]+)/(\d+)$", uri or "") for uri in model_uris]
        if not parsed or any(match is None for match in parsed) or \
                len({match.group(1) for match in parsed}) != 1:
            raise UsageError("expected model URIs of the form models:/NAME/VERSION")
        state = _file_state(evaluation.data) if os.path.isfile(evaluation.data) else None
        keys = [(config.tracking_uri(), uri, evaluation.data, state, evaluation.target, metric)
                for uri in model_uris]
        with _MEMO_LOCK:
            known = {key: _MEMO[key] for key in keys if state is not None and key in _MEMO}
        missing = [match.group(2) for key, match in zip(keys, parsed) if key not in known]
        if missing:
            values = scoring.score_versions(parsed[0].group(1), missing, evaluation.data,
                                            evaluation.target, metric)
            fresh = dict(zip([key for key in keys if key not in known], values))
            with _MEMO_LOCK:
                if len(_MEMO) + len(fresh) > _MEMO_SIZE:
                    _MEMO.clear()
                _MEMO.update(fresh)
            known.update(fresh)
        return [known[key] for key in keys]

    def evaluate(model_uri: str) -> float:
        return many([model_uri])[0]

    evaluate.many = many  # type: ignore[attr-defined]
    return evaluate
