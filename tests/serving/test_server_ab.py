"""A/B and shadow: ``--challenger ALIAS --split F`` answers a seeded fraction F from
the challenger; ``--shadow ALIAS`` answers from the champion and logs the shadow's
prediction of the same request (same request id, variant "shadow")."""

from __future__ import annotations

import math

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .helpers import payload_split, register


@pytest.fixture(scope="module")
def ab_model(serving_home, cancer_frame, cancer_lr):
    from sklearn.ensemble import RandomForestClassifier

    features, target = cancer_frame
    register(cancer_lr, "ab", features)
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(features, target)
    register(forest, "ab", features, alias="challenger")
    return "ab"


def _requests(endpoint, payload, count: int, prefix: str) -> list[str]:
    versions = []
    with endpoint.client() as client:
        for number in range(count):
            answer = client.post("/invocations", json=payload,
                                 headers={"X-Request-Id": f"{prefix}-{number}"})
            assert answer.status_code == 200, answer.text
            versions.append(answer.headers["x-model-version"])
    return versions


def test_split_proportion_and_log(ab_model, endpoints, serving_home, cancer_frame):
    from mlops_jupyter.inference import logbook

    url = str(serving_home / "log-ab")
    endpoint = endpoints("ab", "--challenger", "challenger", "--split", "0.3", "--seed", "7",
                         "--log-url", url, "--flush-interval", "0.2")
    assert "challenger challenger version 2, split 0.3" in endpoint.ready_line
    assert endpoint.request("GET", "/version").json()["variants"] == {
        "champion": {"alias": "champion", "version": "1"},
        "challenger": {"alias": "challenger", "version": "2"}}
    count = 400
    versions = _requests(endpoint, payload_split(cancer_frame[0].head(1)), count, "ab")
    challenged = versions.count("2")
    bound = 4.5 * math.sqrt(count * 0.3 * 0.7)
    assert abs(challenged - count * 0.3) < bound, challenged
    assert set(versions) == {"1", "2"}
    assert endpoint.stop() == 0
    frame = logbook.read_window("ab", url=url)
    by_request = dict(zip(frame["request_id"], zip(frame["variant"], frame["version"])))
    assert len(by_request) == count
    for number, version in enumerate(versions):
        variant = "challenger" if version == "2" else "champion"
        assert by_request[f"ab-{number}"] == (variant, version)


def test_shadow_sees_a_copy_and_answers_nothing(ab_model, endpoints, serving_home,
                                                cancer_frame):
    from mlops_jupyter.inference import logbook

    url = str(serving_home / "log-shadow")
    endpoint = endpoints("ab", "--shadow", "challenger", "--log-url", url,
                         "--flush-interval", "0.2")
    versions = _requests(endpoint, payload_split(cancer_frame[0].head(2)), 20, "sh")
    assert set(versions) == {"1"}
    text = endpoint.request("GET", "/metrics").text
    shadow = [s for family in text_string_to_metric_families(text)
              if family.name == "mlops_serving_requests" for s in family.samples
              if s.labels.get("variant") == "shadow" and s.name.endswith("_total")]
    assert shadow and shadow[0].labels["version"] == "2"
    assert endpoint.stop() == 0
    frame = logbook.read_window("ab", url=url)
    shadows = frame[frame["variant"] == "shadow"]
    champions = frame[frame["variant"] == "champion"]
    assert sorted(set(shadows["request_id"])) == sorted(f"sh-{n}" for n in range(20))
    assert set(shadows["request_id"]) == set(champions["request_id"])
    assert set(shadows["version"]) == {"2"} and set(champions["version"]) == {"1"}
    assert len(shadows) == len(champions) == 40
