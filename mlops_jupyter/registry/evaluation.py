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

from .. import config
from ..exceptions import UsageError
from . import scoring
from .policy import Evaluation

_MEMO: dict[tuple, float] = {}
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 256


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
