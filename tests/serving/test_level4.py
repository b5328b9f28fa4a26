"""MLOps maturity level 4, end to end, with every part real and nothing called by hand.

An endpoint serves ``cancer@champion`` with ``@challenger`` on half of the traffic; a
scheduler runs ``monitor.yaml`` on the endpoint's inference log every 4 seconds.

1. Drifted traffic arrives with its true labels sent back as feedback: the scheduled
   live check sees the drift, the retrain pipeline registers v2 and its gate makes it
   ``@challenger``; the endpoint picks it up for its challenger half by itself.
2. More labelled traffic: v2 beats v1 on live accuracy; the next scheduled check finds
   the decisive win, the gate's ``live:`` rule lets v2 take ``@champion`` (actor
   ``live-gate``, the evidence in the alias history) and the endpoint switches its
   champion to v2 by itself. No request fails on the way.
"""

from __future__ import annotations

import httpx
import pytest

from mlops_jupyter.monitoring.references import build_profile
from mlops_jupyter.registry import alias_history, register_model
from mlops_jupyter.registry.policy import declare_policy, parse_policy
from tests.magics.helpers import wait_for
from tests.pipelines.helpers import write_project
from tests.scheduling.helpers import start_scheduler, stop_scheduler

from .helpers import TOKEN, Endpoint, payload_split

MODEL = "cancer"
LIVE = {"min_requests": 120, "beats_champion": "accuracy", "p_value": 0.01, "window": "1h"}
RETRAIN_NOTEBOOK = """
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    import mlops_jupyter

    data = pd.read_csv(data_path)
    features, target = data.drop(columns="target"), data["target"]
    train, hold = slice(0, 300), slice(300, None)
    model = RandomForestClassifier(n_estimators=40, random_state=0)
    model.fit(features[train], target[train])
    accuracy = float((model.predict(features[hold]) == target[hold]).mean())
    mlops_jupyter.register_model(
        model, model_name, input_example=features.head(5), metrics={"accuracy": accuracy},
        reference=features.assign(prediction=model.predict(features)),
        prediction_column="prediction")
"""


def drifted(features):
    """Two thirds of the columns shifted by two standard deviations."""
    shifted = features.copy()
    for column in features.columns[: 2 * len(features.columns) // 3]:
        shifted[column] = shifted[column] + 2 * features[column].std()
    return shifted


def send(endpoint: Endpoint, client: httpx.Client, features, target, rows) -> dict[str, int]:
    """One request per row, then every label to /feedback; versions answered, by count."""
    answered: dict[str, int] = {}
    feedback = []
    for index in rows:
        answer = client.post("/invocations", json=payload_split(features.iloc[[index]]))
        assert answer.status_code == 200, answer.text
        version = answer.headers["X-Model-Version"]
        answered[version] = answered.get(version, 0) + 1
        feedback.append({"request_id": answer.headers["X-Request-Id"],
                         "label": int(target.iloc[index])})
    assert client.post("/feedback", json=feedback).status_code == 200
    return answered


def served(endpoint: Endpoint) -> dict:
    return httpx.get(endpoint.url + "/version", headers=endpoint.headers, timeout=10).json()


def test_drift_retrains_a_challenger_that_wins_live_and_takes_champion(
        registry_home, make_run, breast_cancer, tmp_path):
    from sklearn.linear_model import LogisticRegression

    features, target = breast_cancer
    # v1: a weak champion (regularised to almost a constant) with its reference profile.
    weak = LogisticRegression(C=1e-8, max_iter=1000).fit(features, target)
    register_model(weak, MODEL, run_id=make_run(metrics={"accuracy": 0.63}), alias="champion",
                   input_example=features.head(5),
                   reference=build_profile(features.assign(prediction=weak.predict(features)),
                                           prediction_column="prediction"))
    from mlops_jupyter.registry.aliases import set_alias

    set_alias(MODEL, "challenger", "1", reason="no challenger yet")
    declare_policy(MODEL, parse_policy({"live": LIVE}))

    production = drifted(features)
    project = tmp_path / "project"
    write_project(project, """
        name: retrain
        steps:
          - name: train
            notebook: train.ipynb
            inputs: [data/labelled.csv]
    """, {"train.ipynb": ('data_path = "data/labelled.csv"\nmodel_name = "cancer"',
                          [RETRAIN_NOTEBOOK])})
    (project / "data").mkdir(exist_ok=True)
    production.assign(target=target).sample(frac=1, random_state=0).to_csv(
        project / "data" / "labelled.csv", index=False)  # the labelled production data
    (project / "monitor.yaml").write_text(f"""
monitor:
  model: {MODEL}@champion
  current: {{serving: {MODEL}, last: 1h}}
  rules:
    - {{name: data-drift, drift_share_above: 0.3, retrain: true}}
  retrain: {{pipeline: pipeline.yaml, promote_to: challenger, cooldown_minutes: 60}}
""")

    endpoint = Endpoint(f"{MODEL}@champion", "--challenger", "challenger", "--split", "0.5",
                        "--seed", "7", folder=tmp_path)
    scheduler = None
    try:
        endpoint.start()
        with endpoint.client() as client:
            first = send(endpoint, client, production, target, range(200))
            assert first == {"1": 200}

            from mlops_jupyter import cli

            assert cli.main(["schedule", "add", str(project / "monitor.yaml"),
                             "--cron", "* * * * * */4", "--name", "live-check"]) == 0
            scheduler = start_scheduler(registry_home)

            # 1. drift -> retrain -> v2 becomes @challenger -> the endpoint follows.
            wait_for(lambda: served(endpoint)["variants"]["challenger"]["version"] == "2",
                     180, "the endpoint never served v2 as its challenger")
            assert served(endpoint)["variants"]["champion"]["version"] == "1"

            # 2. labelled traffic on both; v2 wins; the live gate promotes it.
            second = send(endpoint, client, production, target, range(200, 569))
            assert set(second) == {"1", "2"} and min(second.values()) > 120
            wait_for(lambda: served(endpoint)["variants"]["champion"]["version"] == "2",
                     180, "the endpoint never switched its champion to v2")
            third = send(endpoint, client, production, target, range(40))
            assert third == {"2": 40}
    finally:
        if scheduler is not None:
            stop_scheduler(scheduler)
        endpoint.stop()
        endpoint.kill()

    history = alias_history(MODEL, "champion")
    promotion = history[-1]
    assert promotion["action"] == "set" and promotion["to_version"] == "2"
    assert promotion["actor"] == "live-gate"
    live = promotion["gate"]["scores"]["live"]
    assert live["candidate"] == "2" and live["p_value"] < LIVE["p_value"]
    assert live["candidate_accuracy"] > live["holder_accuracy"]
    challenger = alias_history(MODEL, "challenger")[-1]
    assert challenger["to_version"] == "2" and "retrained after drift check" in \
        challenger["reason"]
    assert TOKEN not in endpoint.output and "Traceback" not in endpoint.output


pytestmark = pytest.mark.timeout(600)
