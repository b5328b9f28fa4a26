"""Flavor detection: real sklearn/torch objects, non-models, unsupported models."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.registry.flavors import detect_flavor


def test_sklearn_estimator_and_pipeline(iris_model):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    assert detect_flavor(iris_model) == "sklearn"
    assert detect_flavor(make_pipeline(StandardScaler(), iris_model)) == "sklearn"


def test_torch_module(torch_model):
    assert detect_flavor(torch_model) == "pytorch"


def test_sklearn_subclass_outside_sklearn_package():
    from sklearn.base import BaseEstimator

    class Custom(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return X

    assert detect_flavor(Custom()) == "sklearn"


@pytest.mark.parametrize("value", [42, "model", [1, 2], {"a": 1}, None])
def test_not_a_model(value):
    with pytest.raises(UsageError, match=r"^clf is not a model"):
        detect_flavor(value, "clf")


def test_dataframe_is_not_a_model(iris):
    with pytest.raises(UsageError, match="df is not a model.*DataFrame"):
        detect_flavor(iris[0], "df")


def test_unsupported_model_type_is_named():
    class KerasLike:
        def fit(self, x, y):
            return self

        def predict(self, x):
            return x

    with pytest.raises(UsageError, match=r"unsupported object type .*KerasLike: register a "
                                         r"scikit-learn estimator or a torch nn.Module"):
        detect_flavor(KerasLike())


def test_detection_does_not_import_ml_libraries():
    code = ("import sys; from mlops_jupyter.registry.flavors import detect_flavor\n"
            "try:\n    detect_flavor({'a': 1}, 'x')\nexcept Exception: pass\n"
            "print('torch' in sys.modules, 'sklearn' in sys.modules, 'mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "False"]
