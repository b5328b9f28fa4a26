"""Protocol parity: the same payloads against ``mlops serve`` and MLflow's own scoring
server (its app, in process, on the same model version) give the same predictions.

Three models: a LogisticRegression and a RandomForest (skops trusted types) on the
breast-cancer frame, and a regressor pipeline with a categorical column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .helpers import register


@pytest.fixture(scope="module")
def frames(cancer_frame):
    features, target = cancer_frame
    rng = np.random.default_rng(0)
    houses = pd.DataFrame({"size": rng.uniform(30, 200, 200),
                           "rooms": rng.integers(1, 6, 200).astype("int64"),
                           "city": rng.choice(["paris", "lyon", "nice"], 200)})
    price = houses["size"] * 3 + houses["rooms"] * 10 + (houses["city"] == "paris") * 50
    return {"cancer": (features, target), "houses": (houses, price)}


@pytest.fixture(scope="module")
def served(serving_home, frames, cancer_lr, endpoints):
    """Three registered models, each served by its own endpoint (started together)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    features, target = frames["cancer"]
    houses, price = frames["houses"]
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(features, target)
    regressor = make_pipeline(
        ColumnTransformer([("city", OneHotEncoder(handle_unknown="ignore"), ["city"])],
                          remainder="passthrough"), Ridge()).fit(houses, price)
    register(cancer_lr, "cancer-lr", features)
    register(forest, "cancer-rf", features)
    register(regressor, "houses", houses)
    started = {name: endpoints(name, wait=False) for name in ("cancer-lr", "cancer-rf", "houses")}
    for endpoint in started.values():
        endpoint.wait_ready()
    return started


def _mlflow_client(name: str):
    from mlflow.pyfunc import scoring_server
    from starlette.testclient import TestClient

    from mlops_jupyter.registry import safety

    return TestClient(scoring_server.init(safety.load_pyfunc(f"models:/{name}/1")))


def _payloads(frame: pd.DataFrame) -> dict[str, dict]:
    split = frame.to_dict(orient="split")
    split.pop("index", None)
    records = frame.to_dict(orient="records")
    return {"dataframe_split": {"dataframe_split": split},
            "dataframe_records": {"dataframe_records": records},
            "instances": {"instances": records},
            "inputs": {"inputs": frame.to_dict(orient="list")}}


@pytest.mark.parametrize("name,data", [("cancer-lr", "cancer"), ("cancer-rf", "cancer"),
                                       ("houses", "houses")])
def test_same_predictions_as_mlflow_scoring_server(served, frames, name, data):
    frame = frames[data][0].sample(7, random_state=1)
    reference = _mlflow_client(name)
    endpoint = served[name]
    for fmt, payload in _payloads(frame).items():
        ours = endpoint.invoke(payload)
        theirs = reference.post("/invocations", json=payload)
        assert theirs.status_code == 200, (fmt, theirs.text[:300])
        assert ours.status_code == 200, (fmt, ours.text[:300])
        assert list(ours.json()) == ["predictions"]
        assert ours.json()["predictions"] == pytest.approx(theirs.json()["predictions"]), fmt
        assert ours.headers["x-model-version"] == "1"


def test_csv_body_like_mlflow(served, frames):
    frame = frames["houses"][0].head(3)
    body = frame.to_csv(index=False)
    ours = served["houses"].request("POST", "/invocations", content=body,
                                    headers={"Content-Type": "text/csv"})
    theirs = _mlflow_client("houses").post("/invocations", content=body,
                                           headers={"Content-Type": "text/csv"})
    assert ours.status_code == theirs.status_code == 200, ours.text
    assert ours.json()["predictions"] == pytest.approx(theirs.json()["predictions"])


def test_concurrent_requests_each_get_their_own_rows(served, frames):
    """Micro-batched requests are split back: each answer matches its own input."""
    from concurrent.futures import ThreadPoolExecutor

    frame = frames["houses"][0]
    endpoint = served["houses"]
    expected = endpoint.invoke(_payloads(frame.head(40))["dataframe_split"]).json()["predictions"]

    def one(index: int):
        rows = frame.iloc[index:index + 1 + index % 3]
        answer = endpoint.invoke(_payloads(rows)["dataframe_records"])
        return index, answer.json()["predictions"]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(37)))
    for index, predictions in results:
        assert predictions == pytest.approx(expected[index:index + 1 + index % 3])
