"""register_model against a real SQLite registry with real sklearn and torch models."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_jupyter.exceptions import NotFoundError, UsageError
from mlops_jupyter.registry import alias_history, register_model
from mlops_jupyter.tracking import store


def test_register_sklearn_with_signature_into_run(make_run, iris_model, iris, registry_home):
    features, _ = iris
    run_id = make_run(metrics={"accuracy": 0.96},
                      tags={"mlops.notebook": "train.ipynb", "mlops.git.commit": "abc123"})
    result = register_model(iris_model, "iris-clf", run_id=run_id,
                            input_example=features.head(5))
    assert result["name"] == "iris-clf" and result["version"] == "1"
    assert result["run_id"] == run_id and result["flavor"] == "sklearn"
    assert result["model_uri"] == "models:/iris-clf/1"

    client = store.client()
    version = client.get_model_version("iris-clf", "1")
    assert version.run_id == run_id
    assert version.tags["mlops.flavor"] == "sklearn"
    assert version.tags["mlops.lineage.notebook"] == "train.ipynb"
    assert version.tags["mlops.lineage.git_commit"] == "abc123"
    # The model files are in the store's own artifact directory, with a signature.
    logged = client.get_logged_model(result["model_id"])
    assert logged.artifact_location.startswith((registry_home / "artifacts").as_uri())
    from mlflow.models import get_model_info

    info = get_model_info(result["model_uri"])
    assert [col.name for col in info.signature.inputs.inputs] == list(features.columns)
    assert info.run_id == run_id

    # It loads back and predicts like the original (a real round trip).
    import mlflow.pyfunc

    loaded = mlflow.pyfunc.load_model(result["model_uri"])
    assert (loaded.predict(features.head(10)) == iris_model.predict(features.head(10))).all()

    second = register_model(iris_model, "iris-clf", run_id=run_id)
    assert second["version"] == "2"


def test_register_breast_cancer_in_new_run(breast_cancer, registry_home):
    from sklearn.linear_model import LogisticRegression

    features, target = breast_cancer
    model = LogisticRegression(max_iter=3000).fit(features, target)
    result = register_model(model, "cancer", experiment="screening",
                            input_example=features.head(3))
    run = store.client().get_run(result["run_id"])
    assert run.info.status == "FINISHED"
    experiment = store.client().get_experiment(run.info.experiment_id)
    assert experiment.name == "screening"


def test_register_torch_with_signature(make_run, torch_model, registry_home):
    import torch

    run_id = make_run()
    example = torch.randn(2, 4)
    result = register_model(torch_model, "tiny-net", run_id=run_id, input_example=example)
    assert result["flavor"] == "pytorch"
    from mlflow.models import get_model_info

    info = get_model_info(result["model_uri"])
    assert info.signature is not None
    assert list(info.signature.inputs.to_dict()[0]["tensor-spec"]["shape"]) == [-1, 4]
    import mlflow.pytorch

    loaded = mlflow.pytorch.load_model(result["model_uri"])
    assert torch.allclose(loaded(example), torch_model(example))


def test_register_with_alias_records_history(registered, registry_home):
    result = registered("iris", alias="challenger", reason="first try")
    assert result["alias"] == "challenger"
    history = alias_history("iris", "challenger")
    assert history[-1]["to_version"] == "1" and history[-1]["reason"] == "first try"
    assert str(store.client().get_model_version_by_alias("iris", "challenger").version) == "1"


@pytest.mark.parametrize("name", ["", " ", "a/b", "m@x", "x" * 200, "../etc", 7, None,
                                  "bad name", "-lead"])
def test_bad_model_names(name, iris_model, registry_home):
    with pytest.raises(UsageError, match="invalid model name"):
        register_model(iris_model, name)
    assert store.client().search_registered_models() == []


def test_not_a_model_and_unsupported(registry_home):
    with pytest.raises(UsageError, match="df is not a model"):
        register_model(np.zeros((2, 2)), "m", var="df")

    class Fake:
        def fit(self):
            pass

        def predict(self):
            pass

    with pytest.raises(UsageError, match="unsupported object type"):
        register_model(Fake(), "m")
    assert store.client().search_registered_models() == []


def test_unknown_run_and_bad_alias(iris_model, registry_home, make_run):
    with pytest.raises(NotFoundError, match="no run"):
        register_model(iris_model, "m", run_id="0" * 32)
    with pytest.raises(UsageError, match="reserved"):
        register_model(iris_model, "m", run_id=make_run(), alias="latest")
    assert store.client().search_registered_models() == []


def test_bad_input_example_is_a_usage_error(iris_model, make_run, registry_home):
    with pytest.raises(UsageError, match="cannot infer a signature"):
        register_model(iris_model, "m", run_id=make_run(), input_example=[[1, 2]])
