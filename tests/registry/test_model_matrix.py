"""Every common model registers from a real kernel and loads back predicting the same.

One kernel runs the whole matrix (19 models: linear, trees and ensembles, SVMs, kNN,
naive Bayes, an MLP, pipelines with preprocessing, soft voting, a grid search,
regressors, a torch module), each
registered with ``register_model`` (one through ``%mlops register``), then loaded
with ``mlops_jupyter.load_model("models:/M@champion")`` and with MLflow's own
``mlflow.pyfunc.load_model`` on the local model folder, after the pre-load check.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlparse

from mlflow import MlflowClient
from mlflow.models import Model

from tests.magics.helpers import KernelSession, cell_text, error_outputs, kernel_env

SETUP = """
import json, warnings
import numpy as np, pandas as pd, torch
from sklearn.datasets import load_iris
from sklearn import ensemble, linear_model, naive_bayes, neighbors, neural_network, svm, tree
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.model_selection import GridSearchCV
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
warnings.filterwarnings("ignore")

X, y = load_iris(return_X_y=True, as_frame=True)
target = X.pop("petal width (cm)")  # regression target; y is the class
mixed = X.copy()
mixed["colour"] = np.where(y == 0, "red", np.where(y == 1, "green", "blue"))
mixed.iloc[::7, 0] = np.nan  # SimpleImputer has something to do
column_prep = ColumnTransformer([
    ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
    ("num", SimpleImputer(strategy="median"), list(X.columns))])

classifiers = {
    "logreg": linear_model.LogisticRegression(max_iter=1000),
    "tree": tree.DecisionTreeClassifier(random_state=0),
    "forest": ensemble.RandomForestClassifier(n_estimators=20, random_state=0),
    "extra-trees": ensemble.ExtraTreesClassifier(n_estimators=20, random_state=0),
    "gboost": ensemble.GradientBoostingClassifier(n_estimators=20, random_state=0),
    "hist-gboost": ensemble.HistGradientBoostingClassifier(max_iter=20, random_state=0),
    "adaboost": ensemble.AdaBoostClassifier(n_estimators=20, random_state=0),
    "svc": svm.SVC(),
    "svc-proba": svm.SVC(probability=True, random_state=0),
    "knn": neighbors.KNeighborsClassifier(n_neighbors=5),
    "gaussian-nb": naive_bayes.GaussianNB(),
    "mlp": neural_network.MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0),
    "scaled-logreg": make_pipeline(StandardScaler(), linear_model.LogisticRegression()),
    "voting": ensemble.VotingClassifier([
        ("logreg", linear_model.LogisticRegression(max_iter=1000)),
        ("forest", ensemble.RandomForestClassifier(n_estimators=10, random_state=0))],
        voting="soft"),
    "grid-search": GridSearchCV(make_pipeline(
        SelectKBest(f_classif), linear_model.LogisticRegression(max_iter=1000)),
        {"selectkbest__k": [2, 3]}, cv=3),
}
regressors = {
    "ridge": linear_model.Ridge(),
    "forest-regressor": ensemble.RandomForestRegressor(n_estimators=20, random_state=0),
}
models = {name: (model.fit(X, y), X) for name, model in classifiers.items()}
models.update({name: (model.fit(X, target), X) for name, model in regressors.items()})
columns_forest = Pipeline([("prep", column_prep), ("clf", ensemble.RandomForestClassifier(
    n_estimators=20, random_state=0))]).fit(mixed, y)
models["columns-forest"] = (columns_forest, mixed)

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
tensor_X = torch.tensor(X.to_numpy(), dtype=torch.float32)
print(len(models) + 1)
"""

REGISTER = """
import mlops_jupyter
failures = {}
for name, (model, frame) in models.items():
    try:
        mlops_jupyter.register_model(model, f"m-{name}", alias="champion",
                                     input_example=frame.head(5))
    except Exception as exc:
        failures[name] = f"{type(exc).__name__}: {str(exc)[:300]}"
try:
    mlops_jupyter.register_model(net, "m-torch", alias="champion", input_example=tensor_X[:5])
except Exception as exc:
    failures["torch"] = f"{type(exc).__name__}: {str(exc)[:300]}"
print(json.dumps(failures))
"""

MAGIC = "%load_ext mlops_jupyter\n%mlops register forest_var --name m-magic-forest " \
        "--alias champion --input-example X"

LOAD = """
import mlflow.pyfunc
from urllib.parse import unquote, urlparse
from mlflow import MlflowClient
from mlops_jupyter import config
from mlops_jupyter.registry.serialization import check_model_dir

client = MlflowClient(tracking_uri=config.tracking_uri())
models["magic-forest"] = (forest_var, X)

def same(expected, got):
    expected, got = np.asarray(expected), np.asarray(got).reshape(np.shape(expected))
    if expected.dtype.kind in "fc":
        return bool(np.allclose(expected, got, rtol=1e-6, atol=1e-6))
    return bool((expected == got).all())

def local_folder(name):
    # register_model's source is the model's storage location in the artifact store
    return unquote(urlparse(client.get_model_version_by_alias(name, "champion").source).path)

outcome = {}
for name, (model, frame) in models.items():
    try:
        expected = model.predict(frame)
        loaded = mlops_jupyter.load_model(f"models:/m-{name}@champion")
        raw = loaded.get_raw_model()
        folder = local_folder(f"m-{name}")
        check_model_dir(folder)
        direct = mlflow.pyfunc.load_model(folder)
        checks = [same(expected, loaded.predict(frame)), same(expected, direct.predict(frame))]
        if hasattr(model, "predict_proba"):  # SVC(probability=False) has none
            checks.append(same(model.predict_proba(frame), raw.predict_proba(frame)))
        outcome[name] = "ok" if all(checks) else f"different predictions {checks}"
    except Exception as exc:
        outcome[name] = f"{type(exc).__name__}: {str(exc)[:300]}"
try:
    with torch.no_grad():
        expected = net(tensor_X).numpy()
    loaded = mlops_jupyter.load_model("models:/m-torch@champion")
    folder = local_folder("m-torch")
    check_model_dir(folder)
    direct = mlflow.pyfunc.load_model(folder)
    checks = [same(expected, loaded.predict(tensor_X.numpy())),
              same(expected, direct.predict(tensor_X.numpy()))]
    outcome["torch"] = "ok" if all(checks) else f"different predictions {checks}"
except Exception as exc:
    outcome["torch"] = f"{type(exc).__name__}: {str(exc)[:300]}"
print(json.dumps(outcome))
"""


def test_every_common_model_registers_and_loads_back_from_a_kernel(tmp_path):
    home = tmp_path / "home"
    with KernelSession(kernel_env(home), cwd=tmp_path, timeout=900) as kernel:
        setup = kernel.run(SETUP)
        registered = kernel.run(REGISTER)
        kernel.run("forest_var = models['forest'][0]")
        magic = kernel.run(MAGIC)
        loaded = kernel.run(LOAD)
        kernel.run("from sklearn.preprocessing import FunctionTransformer\n"
                   "bad = make_pipeline(FunctionTransformer(lambda v: v),\n"
                   "                    linear_model.LogisticRegression()).fit(X, y)")
        refused = [cell_text(kernel.run(line)) for line in (
            "%mlops register bad --name m-bad", "%mlops register net --name m-net")]
    assert cell_text(setup).strip() == "19", error_outputs(kernel.nb)
    assert json.loads(cell_text(registered)) == {}
    assert "registered 'm-magic-forest' version 1 (sklearn)" in cell_text(magic)
    outcome = json.loads(cell_text(loaded).strip().splitlines()[-1])
    assert len(outcome) == 20
    assert outcome == dict.fromkeys(outcome, "ok")

    assert refused[0].startswith("UsageError: mlops: bad contains types that are not loaded "
                                 "back safely: __main__.<lambda>")
    assert refused[1].startswith("UsageError: mlops: net is a torch module: give an input "
                                 "example")
    assert all(text.count("\n") == 1 for text in refused)

    # What a forest needs beyond skops' defaults is stored with it, and nothing else.
    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    version = client.get_model_version_by_alias("m-forest", "champion")
    location = urlparse(version.source)
    conf = Model.load(unquote(location.path)).flavors["sklearn"]
    assert conf["serialization_format"] == "skops"
    assert conf["skops_trusted_types"] == ["sklearn.tree._tree.Tree"]
