"""Score a registered version on a dataset in a short-lived process of its own.

Loading a model unpickles it, which runs code. The Jupyter server, the scheduler and
the CLI therefore never load one: :func:`score_version` starts
``python -m mlops_jupyter.registry.scoring``, hands it the request as JSON on stdin,
waits at most :func:`mlops_jupyter.config.scoring_timeout` seconds (then kills its
whole process group) and reads back one JSON object — a number, or an error line.
The child resolves the store exactly as the parent did (the URI and the artifact
root are passed to it explicitly) and loads only through :func:`.safety.load_pyfunc`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import config, exceptions
from ..exceptions import MLOpsError, UsageError
from ..processes import stop_process_group

MAX_OUTPUT = 64 * 1024


def score_version(name: str, version: str, data: str, target: str, metric: str, *,
                  timeout: float | None = None) -> float:
    """``metric`` of version ``name``/``version`` on the dataset ``data`` (label column
    ``target``), computed in a child process (see :func:`score_versions`)."""
    return score_versions(name, [version], data, target, metric, timeout=timeout)[0]


def score_versions(name: str, versions: list[str], data: str, target: str, metric: str, *,
                   timeout: float | None = None) -> list[float]:
    """``metric`` of each of ``versions`` of ``name`` on the dataset ``data`` (label
    column ``target``), computed in ONE child process (it pays MLflow's import once).

    Raises:
        UsageError: the model cannot score the dataset, the source is refused, or the
            child took longer than ``timeout`` seconds (it is killed);
        NotFoundError / StoreUnavailableError: as the child met them.
    """
    timeout = config.scoring_timeout() if timeout is None else timeout
    request = {"name": name, "versions": [str(version) for version in versions],
               "data": data, "target": target, "metric": metric}
    label = f"{name} version{'s' if len(versions) > 1 else ''} " + \
        ", ".join(str(version) for version in versions)
    package_parent = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env[config.TRACKING_URI_ENV] = config.tracking_uri()
    env[config.ARTIFACT_ROOT_ENV] = config.artifact_root()
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    with tempfile.TemporaryDirectory(prefix="mlops-score-") as workdir:
        # start_new_session: a timeout kills the model's own children too.
        process = subprocess.Popen(
            [sys.executable, "-m", "mlops_jupyter.registry.scoring"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=workdir, env=env,
            start_new_session=True)
        try:
            output, _ = process.communicate(json.dumps(request).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(process.pid, grace=0, process=process)
            raise UsageError(f"scoring {label} took longer than "
                             f"{timeout:g} s and was stopped") from None
        except BaseException:
            stop_process_group(process.pid, grace=0, process=process)
            raise
    return _result(output[:MAX_OUTPUT], process.returncode, label, len(versions))


def _result(output: bytes, returncode: int, label: str, count: int) -> list[float]:
    try:
        answer = json.loads(output.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    if not isinstance(answer, dict):
        raise UsageError(f"scoring {label} failed (the scoring process "
                         f"exited with status {returncode})")
    if "error" in answer:
        kind = getattr(exceptions, str(answer.get("kind")), UsageError)
        if not (isinstance(kind, type) and issubclass(kind, MLOpsError)):
            kind = UsageError
        raise kind(str(answer["error"])[:300])
    values = answer.get("scores")
    if not isinstance(values, list) or len(values) != count or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool)
            and not math.isnan(value) for value in values):
        raise UsageError(f"scoring {label} returned no number")
    return [float(value) for value in values]


def _score_all(request: dict[str, Any]) -> list[float]:
    from .policy import Evaluation
    from .scores import load_dataset

    features, truth = load_dataset(Evaluation(data=request["data"], target=request["target"]))
    return [_score(request["name"], version, features, truth, request["metric"])
            for version in request["versions"]]


def _score(name: str, version: str, features, truth, metric: str) -> float:
    from . import safety
    from .scores import score

    model_uri = f"models:/{name}/{version}"
    model = safety.load_pyfunc(model_uri)
    try:
        predictions = model.predict(features)
    except Exception as error:  # noqa: BLE001 - report the model's failure in one line
        text = str(error).splitlines()[0][:200] if str(error) else ""
        raise UsageError(f"{model_uri} cannot score the evaluation dataset: "
                         f"{type(error).__name__}: {text}") from None
    return score(predictions, truth, metric)


def main() -> int:
    """Child side: request on stdin, one JSON line on the real stdout."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # whatever the model or MLflow prints must not corrupt the answer
    sys.stdout = sys.stderr
    try:
        answer: dict[str, Any] = {"scores": _score_all(json.loads(sys.stdin.read()))}
    except MLOpsError as error:
        answer = {"error": error.message, "kind": type(error).__name__}
    except Exception as error:  # noqa: BLE001 - one line back to the parent
        first = (str(error).strip().splitlines() or [""])[0][:200]
        answer = {"error": f"scoring failed: {type(error).__name__}: {first}",
                  "kind": "UsageError"}
    os.write(answer_fd, (json.dumps(answer) + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
