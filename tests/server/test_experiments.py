"""The experiments REST API against a real Jupyter server and a real MLflow store."""

from __future__ import annotations

import json

import pytest
import tornado.routing
import tornado.web
from tornado.httpclient import HTTPClientError

NAMESPACE = "mlops-jupyter"


async def get_json(jp_fetch, *path: str, **params: str) -> dict:
    response = await jp_fetch(NAMESPACE, *path, params=params)
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def get_error(jp_fetch, *path: str, method: str = "GET", **kwargs) -> tuple[int, dict]:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(NAMESPACE, *path, method=method, **kwargs)
    return caught.value.code, json.loads(caught.value.response.body)


async def all_runs(jp_fetch, experiment_id: str, **params: str) -> list[dict]:
    body = await get_json(jp_fetch, "experiments", experiment_id, "runs", **params)
    return body["runs"]


async def test_lists_active_experiments_most_recently_updated_first(jp_fetch, seed_runs):
    body = await get_json(jp_fetch, "experiments")

    experiments = body["experiments"]
    assert [e["name"] for e in experiments] == ["churn-model", "baseline", "Default"]
    churn = experiments[0]
    assert churn["experiment_id"] == seed_runs.experiment_id
    assert churn["lifecycle_stage"] == "active"
    assert churn["creation_time"] <= churn["last_update_time"]
    assert isinstance(churn["tags"], dict)


async def test_lists_runs_newest_first_with_their_tracking_details(jp_fetch, seed_runs):
    top = await get_json(jp_fetch, "experiments", seed_runs.experiment_id, "runs")
    # Without a filter: the top level of the tree, each run with its number of children.
    assert [r["run_id"] for r in top["runs"]] == [seed_runs.session_run_id]
    assert top["runs"][0]["child_count"] == 4
    body = await get_json(jp_fetch, "experiments", seed_runs.experiment_id, "runs",
                          parent=seed_runs.session_run_id, order_by="start_time DESC")

    runs = [*body["runs"], top["runs"][0]]
    assert body["next_page_token"] is None
    assert [r["run_id"] for r in runs] == seed_runs.run_ids_newest_first
    assert all(r["child_count"] == 0 for r in body["runs"])
    predict, evaluate, train, load, session = runs

    assert session["kind"] == "session"
    assert session["parent_run_id"] is None
    assert session["status"] == "RUNNING"
    assert session["duration_s"] is None and session["end_time"] is None

    assert evaluate["status"] == "FAILED"
    assert evaluate["error"] == "ZeroDivisionError: division by zero"
    assert evaluate["kind"] == "cell"
    assert evaluate["execution_count"] == 3
    assert evaluate["notebook"] == "analysis/train.ipynb"
    assert evaluate["parent_run_id"] == seed_runs.session_run_id
    assert evaluate["duration_s"] == 0.4

    assert train["run_name"] == "train"
    assert train["status"] == "FINISHED"
    assert train["error"] is None
    assert train["duration_s"] == 42.5
    assert train["metrics"] == {"accuracy": 0.9134, "auc": 0.951, "f1": 0.884, "loss": 0.271}
    assert train["params"] == {"C": "0.5", "penalty": "l2"}
    assert load["start_time"] < train["start_time"] < evaluate["start_time"]

    assert predict["status"] == "RUNNING" and predict["duration_s"] is None


async def test_pages_through_runs_with_next_page_token(jp_fetch, seed_runs):
    flat = {"filter": "attributes.start_time > 0"}
    seen, pages, params = [], 0, {"max_results": "2", **flat}
    while True:
        body = await get_json(jp_fetch, "experiments", seed_runs.experiment_id, "runs", **params)
        pages += 1
        assert len(body["runs"]) <= 2
        seen.extend(run["run_id"] for run in body["runs"])
        if body["next_page_token"] is None:
            break
        params = {"max_results": "2", "page_token": body["next_page_token"], **flat}

    assert pages == 3
    assert seen == seed_runs.run_ids_newest_first


@pytest.mark.parametrize(
    ("status", "expected_names"),
    [
        ("FAILED", ["evaluate"]),
        ("FINISHED", ["train", "load data"]),
        ("RUNNING", ["predict", "session 2026-11-21 09:30"]),
        ("KILLED", []),
    ],
)
async def test_filters_runs_by_status(jp_fetch, seed_runs, status, expected_names):
    runs = await all_runs(jp_fetch, seed_runs.experiment_id, status=status,
                          filter="attributes.start_time > 0")

    assert [run["run_name"] for run in runs] == expected_names
    assert all(run["status"] == status for run in runs)


async def test_an_experiment_without_runs_has_an_empty_page(jp_fetch, seed_runs):
    body = await get_json(jp_fetch, "experiments", seed_runs.other_experiment_id, "runs")

    assert body == {"runs": [], "next_page_token": None}


@pytest.mark.parametrize("which", ["unknown", "deleted"])
async def test_runs_of_a_missing_experiment_are_404(jp_fetch, seed_runs, which):
    experiment_id = "987654" if which == "unknown" else seed_runs.deleted_experiment_id

    code, body = await get_error(jp_fetch, "experiments", experiment_id, "runs")

    assert code == 404
    assert experiment_id in body["error"]


@pytest.mark.parametrize(
    ("experiment_id", "params", "mentions"),
    [
        ("abc", {}, "experiment id"),
        (None, {"status": "DONE"}, "status"),
        (None, {"status": "failed"}, "status"),
        (None, {"max_results": "ten"}, "max_results"),
        (None, {"max_results": "0"}, "max_results"),
        (None, {"max_results": "501"}, "max_results"),
        (None, {"page_token": "not-a-token"}, "page_token"),
        # found by fuzzing: a non-ASCII token was a 503 (MLflow's base64 decoder failed)
        (None, {"page_token": "\u00eb\u00e9"}, "page_token"),
    ],
)
async def test_malformed_queries_are_400(jp_fetch, seed_runs, experiment_id, params, mentions):
    code, body = await get_error(
        jp_fetch, "experiments", experiment_id or seed_runs.experiment_id, "runs", params=params
    )

    assert code == 400
    assert mentions in body["error"]


async def test_tornado_errors_are_json_too(jp_fetch, mlops_home):
    code, body = await get_error(jp_fetch, "experiments", method="POST", body="{}")

    assert code == 405
    assert body == {"error": "Method Not Allowed"}


@pytest.mark.parametrize("path", [("experiments",), ("experiments", "1", "runs")])
async def test_anonymous_requests_are_forbidden(jp_fetch, seed_runs, path):
    code, body = await get_error(jp_fetch, *path, headers={"Authorization": ""})

    assert code == 403
    assert set(body) == {"error"}


def _routes(router: tornado.routing.RuleRouter):
    for rule in router.rules:
        if isinstance(rule.target, tornado.routing.RuleRouter):
            yield from _routes(rule.target)
        else:
            yield rule.matcher, rule.target


def test_every_handler_method_is_authenticated(jp_serverapp):
    authenticated_code = tornado.web.authenticated(lambda handler: None).__code__
    ours = [
        (matcher.regex.pattern, handler)
        for matcher, handler in _routes(jp_serverapp.web_app.default_router)
        if isinstance(matcher, tornado.routing.PathMatches)
        and f"/{NAMESPACE}/" in matcher.regex.pattern
    ]
    assert len(ours) >= 2

    unauthenticated = [
        f"{method} {pattern}"
        for pattern, handler in ours
        for method in handler.SUPPORTED_METHODS
        if not _is_protected(getattr(handler, method.lower()), authenticated_code)
    ]
    assert unauthenticated == []


def _is_protected(func, authenticated_code) -> bool:
    """Implemented methods need @web.authenticated, unless jupyter_server allowlists
    them on purpose (its CORS preflight ``OPTIONS``) with ``@allow_unauthenticated``."""
    return (
        func is tornado.web.RequestHandler._unimplemented_method
        or getattr(func, "__code__", None) is authenticated_code
        or getattr(func, "__allow_unauthenticated", False)
    )
