"""The serialization policy: skops with exactly the trusted types a model needs,
refusals at registration, and the pre-load check of a model folder."""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.registry import register_model, serialization
from mlops_jupyter.registry.register import _pip_requirements
from mlops_jupyter.tracking import store


@pytest.fixture(scope="module")
def forest(iris):
    from sklearn.ensemble import RandomForestClassifier

    features, target = iris
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target)


def save(model, path, **options):
    import mlflow.sklearn

    options = options or serialization.save_options(model, "sklearn")
    mlflow.sklearn.save_model(model, str(path), **options)
    return path


def set_flavor(path, **changes):
    mlmodel = path / "MLmodel"
    data = yaml.safe_load(mlmodel.read_text())
    for flavor, conf in changes.items():
        data["flavors"][flavor].update(conf)
    mlmodel.write_text(yaml.safe_dump(data))


def test_trusted_types_are_exactly_what_the_model_needs(forest, iris):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    features, target = iris
    assert serialization.save_options(forest, "sklearn") == {
        "serialization_format": "skops", "skops_trusted_types": ["sklearn.tree._tree.Tree"]}
    knn = KNeighborsClassifier().fit(features, target)
    assert serialization.save_options(knn, "sklearn")["skops_trusted_types"] == [
        "sklearn.metrics._dist_metrics.EuclideanDistance64", "sklearn.neighbors._kd_tree.KDTree"]
    plain = LogisticRegression(max_iter=500).fit(features, target)
    assert serialization.save_options(plain, "sklearn")["skops_trusted_types"] is None


@pytest.mark.parametrize(("name", "loaders", "trusted"), [
    ("sklearn.tree._tree.Tree", {"TreeNode"}, True),
    ("numpy.dtype", {"DTypeNode"}, True),
    ("sklearn.feature_selection._univariate_selection.f_classif", {"FunctionNode"}, True),
    ("scipy.sparse._csr.csr_matrix", {"SparseMatrixNode"}, True),
    ("sklearn.utils._bunch.Bunch", {"DictNode"}, True),  # VotingClassifier.named_estimators_
    ("numpy.lib._npyio_impl.NpzFile", {"DictNode"}, False),
    # rebuilt from state is fine for NumPy, but never *called* with the file's arguments
    ("numpy.ma.core.MaskedArray", {"ReduceNode"}, False),
    ("numpy.memmap", {"ObjectNode"}, False),
    ("numpy.savetxt", {"FunctionNode"}, False),
    ("posix.system", {"TypeNode"}, False),
    ("builtins.eval", {"FunctionNode"}, False),
    ("sklearn.tree._classes.DecisionTreeClassifier", {"ObjectNode", "SomeFutureNode"}, False),
    ("sklearn.datasets._base.Bunch", {"ObjectNode"}, False),
    ("pandas.core.frame.DataFrame", {"ObjectNode"}, False),
    ("sklearn.tree._tree.Tree", set(), False),
])
def test_allow_list(name, loaders, trusted):
    assert (serialization.refused_reason(name, loaders) is None) is trusted


def test_models_that_cannot_load_back_safely_are_refused_before_anything_is_written(
        registry_home, iris):
    from sklearn.base import BaseEstimator
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    class Custom(BaseEstimator):
        def fit(self, X, y=None):
            return self

        def predict(self, X):
            return X

    features, target = iris
    cases = {
        "lambda": make_pipeline(FunctionTransformer(lambda x: x),
                                LogisticRegression(max_iter=500)).fit(features, target),
        "shell": make_pipeline(FunctionTransformer(os.system),
                               LogisticRegression(max_iter=500)),
        "custom": Custom().fit(features),
    }
    messages = {}
    for var, model in cases.items():
        with pytest.raises(UsageError) as caught:
            register_model(model, "refused", var=var)
        messages[var] = str(caught.value)
    assert "<lambda>" in messages["lambda"] and "stored callable" in messages["lambda"]
    assert messages["shell"].startswith("shell contains types that are not loaded back safely")
    assert "posix.system" in messages["shell"]
    assert "Custom (outside scikit-learn, NumPy and SciPy)" in messages["custom"]
    assert all("\n" not in message for message in messages.values())
    client = store.client()
    assert client.search_registered_models() == []
    assert client.get_experiment_by_name("models") is None  # no run was created


def test_check_model_dir_accepts_what_register_writes(forest, torch_model, tmp_path):
    import mlflow.pytorch
    import numpy as np

    folder = save(forest, tmp_path / "forest")
    assert "sklearn" in serialization.check_model_dir(folder)
    example = np.zeros((2, 4), dtype=np.float32)
    options = serialization.save_options(torch_model, "pytorch", input_example=example)
    assert options == {"serialization_format": "pt2"}
    mlflow.pytorch.save_model(torch_model, str(tmp_path / "torch"), input_example=example,
                              **options)
    assert "pytorch" in serialization.check_model_dir(tmp_path / "torch")


def test_torch_is_stored_without_pickle_and_a_pickled_module_is_refused(
        registry_home, torch_model, tmp_path):
    import mlflow.pytorch

    with pytest.raises(UsageError, match=r"^net is a torch module: give an input example"):
        register_model(torch_model, "tiny", var="net")
    assert store.client().search_registered_models() == []
    mlflow.pytorch.save_model(torch_model, str(tmp_path / "pickled"),
                              serialization_format="pickle")
    with pytest.raises(UsageError, match="torch model not in pt2 format"):
        serialization.check_model_dir(tmp_path / "pickled")


def test_a_model_trusting_a_dangerous_type_is_refused_before_mlflow_would_load_it(
        tmp_path, iris):
    import mlflow.pyfunc
    import skops.io
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    features, target = iris
    folder = save(LogisticRegression(max_iter=500).fit(features, target), tmp_path / "m")
    hostile = make_pipeline(FunctionTransformer(os.system), LogisticRegression())
    skops.io.dump(hostile, folder / "model.skops")
    set_flavor(folder, sklearn={"skops_trusted_types": ["posix.system"]})
    # MLflow's loader believes the model's own MLmodel and builds os.system ...
    loaded = mlflow.pyfunc.load_model(str(folder)).get_raw_model()
    assert loaded.steps[0][1].func is os.system
    # ... the pre-load check does not.
    with pytest.raises(UsageError, match=r"^the model file contains types that are not "
                                         r"loaded back safely: posix.system"):
        serialization.load_checked(folder)


def test_load_checked_loads_what_register_writes(forest, iris, tmp_path):
    features, _ = iris
    loaded = serialization.load_checked(save(forest, tmp_path / "forest"))
    assert (loaded.predict(features) == forest.predict(features)).all()


def test_pickles_shipped_code_and_other_loaders_are_refused(forest, tmp_path):
    pickled = save(forest, tmp_path / "pickled", serialization_format="pickle")
    with pytest.raises(UsageError, match="not in skops format"):
        serialization.check_model_dir(pickled)

    shipped = save(forest, tmp_path / "shipped")
    set_flavor(shipped, python_function={"code": "code"})
    with pytest.raises(UsageError, match="ships code to import"):
        serialization.check_model_dir(shipped)

    custom = save(forest, tmp_path / "custom")
    set_flavor(custom, python_function={"loader_module": "mlflow.pyfunc.model"})
    with pytest.raises(UsageError, match=r"loader 'mlflow.pyfunc.model' is not"):
        serialization.check_model_dir(custom)

    escaping = save(forest, tmp_path / "escaping")
    shutil.copyfile(escaping / "model.skops", tmp_path / "outside.skops")
    set_flavor(escaping, python_function={"model_path": "../outside.skops"})
    with pytest.raises(UsageError, match="outside the model"):
        serialization.check_model_dir(escaping)

    with pytest.raises(UsageError, match="no readable MLmodel"):
        serialization.check_model_dir(tmp_path / "nothing-here")


def test_requirements_name_the_serializer():
    from importlib.metadata import version

    assert _pip_requirements("sklearn") == [
        f"scikit-learn=={version('scikit-learn')}", f"skops=={version('skops')}",
        f"mlflow=={version('mlflow')}"]
    assert f"cloudpickle=={version('cloudpickle')}" in _pip_requirements("pytorch")


def test_a_torch_module_export_cannot_trace_is_one_line(registry_home):
    import torch

    class Branchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 2)

        def forward(self, x):
            if x.sum() > 0:  # control flow on the data: torch.export cannot trace it
                return self.linear(x)
            return -self.linear(x)

    with pytest.raises(UsageError) as caught:
        register_model(Branchy(), "branchy", input_example=torch.ones(2, 4))
    message = str(caught.value)
    assert message.startswith("cannot export the torch module (torch.export): ")
    assert "\n" not in message and len(message) < 300


_DEFAULT_LISTS = """
import json, sys
{prepare}
from skops.io import _trusted_types as t
names = sorted(t.SKLEARN_ESTIMATOR_TYPE_NAMES) + sorted(t.SCIPY_UFUNC_TYPE_NAMES) \\
    + sorted(t.NUMPY_UFUNC_TYPE_NAMES) + sorted(t.SKLEARN_INTERNAL_TYPE_NAMES)
print(json.dumps({{"names": names, "torch": "torch" in sys.modules,
                  "finders": [type(f).__name__ for f in sys.meta_path]}}))
"""


def test_skops_is_imported_without_torch_and_trusts_the_same_defaults():
    """The fast import skips only the array-API adapters (torch, dask): skops' own
    default trusted lists are the same as after a plain import."""
    import json
    import subprocess
    import sys

    def run(prepare: str) -> dict:
        out = subprocess.run([sys.executable, "-c", _DEFAULT_LISTS.format(prepare=prepare)],
                             capture_output=True, text=True, check=True, timeout=300)
        return json.loads(out.stdout.strip().splitlines()[-1])

    fast = run("from mlops_jupyter.registry import serialization\n"
               "serialization.import_skops()")
    plain = run("import skops.io")
    assert not fast["torch"]
    assert "_SkipArrayAdapters" not in fast["finders"]  # only during the import
    assert fast["names"] == plain["names"] and len(fast["names"]) > 100
