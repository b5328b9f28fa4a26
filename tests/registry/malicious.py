"""A REAL malicious MLflow model: its model.pkl writes a marker file when unpickled.

Used to prove that no path of the registry (gate preview, gate scoring, promote,
``mlops_jupyter.load_model``, the CLI and the server) ever unpickles a version whose
files lie outside the store's default artifact root, and that scoring a trusted
version happens in a process other than the caller's.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path


class _Payload:
    """Unpickling this runs ``code`` (the classic ``__reduce__`` gadget)."""

    def __init__(self, code: str):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def write_model(folder: Path, marker: Path, *, sleep: float = 0.0) -> Path:
    """An sklearn-flavored model folder (pickle format) whose model.pkl, when loaded,
    writes the loading process's pid into ``marker`` (then sleeps ``sleep`` s)."""
    import mlflow.sklearn
    from sklearn.dummy import DummyClassifier

    if folder.exists():
        shutil.rmtree(folder)
    mlflow.sklearn.save_model(DummyClassifier().fit([[0.0], [1.0]], [0, 1]), str(folder),
                              serialization_format="pickle")
    code = (f"import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); "
            f"time.sleep({sleep!r})")
    (folder / "model.pkl").write_bytes(pickle.dumps(_Payload(code)))
    return folder


def register_from_run(client, model_name: str, experiment_id: str, model_dir: Path) -> str:
    """Log ``model_dir`` as run artifacts and register it with a ``runs:/`` source."""
    run = client.create_run(experiment_id)
    client.log_artifacts(run.info.run_id, str(model_dir), "model")
    client.set_terminated(run.info.run_id, "FINISHED")
    version = client.create_model_version(model_name, source=f"runs:/{run.info.run_id}/model",
                                          run_id=run.info.run_id)
    return str(version.version)


def register_logged_model(client, model_name: str, experiment_id: str,
                          model_dir: Path) -> str:
    """Log ``model_dir`` as a LoggedModel of the experiment and register it
    (source ``models:/m-…``, the way MLflow 3 registers models)."""
    run = client.create_run(experiment_id)
    logged = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
    client.log_model_artifacts(logged.model_id, str(model_dir))
    client.finalize_logged_model(logged.model_id, "READY")
    client.set_terminated(run.info.run_id, "FINISHED")
    version = client.create_model_version(model_name, source=f"models:/{logged.model_id}",
                                          run_id=run.info.run_id, model_id=logged.model_id)
    return str(version.version)


def plant_foreign_versions(tmp_path: Path, model: str = "iris"):
    """What another user of the shared store can do: an experiment whose artifacts go
    to a folder of their choosing, and two malicious versions of ``model`` from it
    (one registered from a run, one from a logged model).

    Returns:
        ``(versions, marker)``: the two version numbers and the file the malicious
        model would create if it were ever unpickled.
    """
    from mlops_jupyter.tracking import store

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    marker = tmp_path / "pwned"
    model_dir = write_model(tmp_path / "evil-model", marker)
    client = store.client()
    experiment_id = client.create_experiment("attacker", artifact_location=elsewhere.as_uri())
    versions = [register_from_run(client, model, experiment_id, model_dir),
                register_logged_model(client, model, experiment_id, model_dir)]
    assert list(elsewhere.rglob("model.pkl")), "the malicious files are in place"
    return versions, marker
