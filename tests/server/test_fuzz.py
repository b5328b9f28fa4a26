"""schemathesis fuzzes every declared endpoint of a real ``jupyter server``.

The schema is the OpenAPI document the handlers declare
(:mod:`mlops_jupyter.server.openapi`); the server is a real ``jupyter lab`` subprocess
(schemathesis needs an HTTP base URL; pytest-jupyter's server lives inside the test
process) with the scheduler off, a seeded store
(two models, a champion, a drift check with an alert, runs), a root holding a
pipeline file and a notebook, a schedule and, in the job store, a finished run of the
Pipelines section and a queued job nothing runs (cancelled by the fuzzed requests),
and a running (stand-in) model endpoint for the stop operation.
For every operation, valid and invalid requests, and valid ones aimed at the seeded
data (a bounded number of each), must never answer >= 500 and must answer a status
and a body the document declares. Operations marked ``x-executes-code`` (they run a
pipeline or notebook: ``POST pipelines/runs``, ``POST schedules/{name}/run``) are
left out: fuzzing them would start runs (``POST deployments`` too: it would start
model endpoints). Deleting operations go last, so the
schedules they remove are there for the others first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from mlops_jupyter.registry import set_alias
from mlops_jupyter.scheduling.store import FAILED, JobStore
from mlops_jupyter.server.openapi import build_document
from mlops_jupyter.server.routes import api_handlers
from mlops_jupyter.tracking import store
from tests.server.standin_endpoint import start_standin, stop_standin
from tests.ui.helpers import JupyterLab

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "example_notebooks" / "pipeline"

#: Examples per operation and kind of request: enough to reach the edge cases of each
#: declared field, few enough for the whole run to stay under about two minutes
#: (``MLOPS_FUZZ_EXAMPLES=500`` for a deeper run by hand).
EXAMPLES = int(os.environ.get("MLOPS_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
PIPELINE = """\
name: fuzzed
steps:
  - name: prepare
    notebook: prepare.ipynb
"""
#: The run id of the finished run of the Pipelines section the job store is seeded with.
SEEDED_RUN = "20260101-000000-fuzzed"


def _executes(ctx) -> bool:
    return bool(ctx.operation.definition.raw.get("x-executes-code"))


def _body_fields(document: dict, operation) -> frozenset[str]:
    """The field names of ``operation``'s declared JSON body (none without one)."""
    body = operation.definition.raw.get("requestBody")
    if not body:
        return frozenset()
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return frozenset(schema.get("properties", {}))


def _aimed(seeded: dict[str, list], case_strategy, body_fields: frozenset[str] = frozenset()):
    """``case_strategy`` with names, ids and versions drawn from what was seeded, so
    requests reach real models and runs instead of stopping at a 404; a body field in
    ``body_fields`` the case left out is sometimes filled in too (a request needing
    several fields, such as a new schedule, then reaches the service whole)."""
    from hypothesis import strategies as st

    @st.composite
    def aimed(draw):
        case = draw(case_strategy)
        for part in (case.path_parameters, case.query,
                     case.body if isinstance(case.body, dict) else None):
            for key in list(part or {}):
                if key in seeded:
                    part[key] = draw(st.sampled_from(seeded[key]))
        if isinstance(case.body, dict):
            for key in sorted(body_fields & seeded.keys() - case.body.keys()):
                if draw(st.booleans()):
                    case.body[key] = draw(st.sampled_from(seeded[key]))
        return case

    return aimed()


@pytest.fixture
def seeded(monitored_iris, registered, iris, tmp_path) -> dict[str, list]:
    """What fuzzed requests may aim at: two models, a champion, a drift check with an
    alert, one with an Evidently report, an experiment with runs."""
    from mlops_jupyter.monitoring.checks import run_check
    from mlops_jupyter.monitoring.spec import parse_monitor

    monitored_iris(True)  # iris v1 champion, a drift check that fired an alert
    features, _ = iris
    with_report = run_check(parse_monitor({"model": "iris"}, root=tmp_path), current=features,
                            report=True)  # a check whose Evidently report can be served
    registered("iris", metrics={"accuracy": 0.97})
    registered("other", metrics={"rmse": 2.5})
    # Both aliases have had two holders, so each can be rolled back.
    set_alias("iris", "champion", 2, reason="fuzzing")
    set_alias("iris", "challenger", 1, reason="fuzzing")
    set_alias("iris", "challenger", 2, reason="fuzzing")
    tracked = _seed_tracked_run()
    runs = _compared_runs()
    return {"check_id": [with_report["run_id"]],
            # values one operation needs together (drawn independently, they rarely meet)
            "by_operation": {"POST /mlops-jupyter/runs/{run_id}/open-notebook": {
                "run_id": [tracked], "path": ["notebook/run.ipynb"]}},
            "reason": ["fuzzing", "rolled back by the fuzz run"],
            "name": ["iris", "other"], "model": ["iris", "other"],
            "experiment_id": [store.get_or_create_experiment("training"), "0"],
            "ref": ["1", "2", "@champion", "@challenger"], "version": ["1", "2", 2],
            "alias": ["champion", "challenger"], "status": ["FINISHED", "RUNNING"],
            "thresholds": [["accuracy >= 0.5"], ["f1 > 0.1", "accuracy >= 0.99"], []],
            "metric": ["accuracy"], "score": [False],
            # pipelines and schedules (a schedule named "iris" is made once the server runs)
            # (``notebook``: a folder without a pipeline.yaml, so one can be written there;
            # ``job_id``: filled in once the server runs)
            "path": ["pipeline.yaml", "notebook/run.ipynb"],
            "notebook": ["fresh/prepare.ipynb"],
            "target": ["pipeline.yaml", "prepare.ipynb"], "run_id": [SEEDED_RUN, tracked],
            "missed": ["skip", "catch_up_once"], "params": [[], {}],
            "cron": ["*/5 * * * *", "0 3 * * 1"], "timezone": ["UTC", "Europe/Berlin"],
            # runs compare / diff
            "run_ids": [runs, runs[::-1]], "a": runs, "b": runs, "baseline": runs}


def _compared_runs() -> list[str]:
    """Two runs with a param and a metric, for ``runs/compare`` and ``runs/diff``."""
    client = store.client()
    experiment_id = store.get_or_create_experiment("training")
    ids = []
    for seed in range(2):
        run_id = client.create_run(experiment_id, run_name=f"fuzzed-{seed}").info.run_id
        client.log_param(run_id, "seed", str(seed))
        client.log_metric(run_id, "accuracy", 0.9 + seed / 100)
        ids.append(run_id)
    return ids


def _seed_tracked_run() -> str:
    """An MLflow run with a pipeline.yaml and a notebook among its artifacts (the runs
    endpoints read its detail, download them and open the notebook)."""
    client = store.client()
    run_id = client.create_run(store.get_or_create_experiment("training")).info.run_id
    client.log_text(run_id, "name: fuzz\n", "pipeline.yaml")
    client.log_text(run_id, '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
                    "notebook/run.ipynb")
    return run_id


def _seed_run(root: Path) -> int:
    """A run of ``root/pipeline.yaml`` started from the Pipelines section, ended
    (FAILED: it never had a process); returns its job id."""
    store = JobStore()  # the test's home, as the server's
    try:
        job = store.create_run_job(str(root / "pipeline.yaml"), SEEDED_RUN, parameters={},
                                   options={}, scheduler_id="fuzz-seed")
        store.finish_job(job["id"], FAILED, error="seeded for fuzzing")
        return job["id"]
    finally:
        store.close()


def _seed_queued_job() -> int:
    """A queued job of the schedule "iris" that no scheduler runs (the server's is
    off); cancelling it only marks it INTERRUPTED. Made just before the cancel
    operation is fuzzed: listing pipeline runs interrupts jobs no scheduler owns."""
    store = JobStore()
    try:
        return store.create_job(store.schedule("iris"), "manual")["id"]
    finally:
        store.close()


@pytest.fixture
def server(tmp_path, seeded):
    lab = JupyterLab(tmp_path / "lab", {}, ["--MLOpsExtensionApp.scheduler_enabled=False"])
    try:
        (lab.root / "pipeline.yaml").write_text(PIPELINE)
        shutil.copy(EXAMPLE / "prepare.ipynb", lab.root / "prepare.ipynb")
        (lab.root / "fresh").mkdir()
        shutil.copy(EXAMPLE / "prepare.ipynb", lab.root / "fresh" / "prepare.ipynb")
        lab.wait_until_ready()
        made = requests.post(f"{lab.url}/mlops-jupyter/schedules", timeout=60,
                             headers={"Authorization": f"token {lab.token}"},
                             json={"target": "pipeline.yaml", "cron": "0 3 * * *",
                                   "name": "iris"})
        assert made.status_code == 201, made.text
        seeded["job_id"] = [str(_seed_run(lab.root))]
        yield lab
    finally:
        lab.stop()


def _fuzz(strategy, server: JupyterLab, session: requests.Session) -> int:
    """Send up to :data:`EXAMPLES` requests drawn from ``strategy``, checking each
    answer; return how many succeeded (2xx). Raises the first failure found."""
    succeeded = 0

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        nonlocal succeeded
        response = case.call_and_validate(base_url=server.url, session=session,
                                          checks=CHECKS, timeout=60)
        succeeded += response.status_code < 300

    fuzz()
    return succeeded


@pytest.fixture
def standins():
    """Stand-in endpoints started for the stop operation; stopped after the test."""
    processes: list = []
    yield processes
    for process in processes:
        stop_standin(process)


def test_every_endpoint_survives_fuzzing(server, seeded, standins):
    document = build_document(api_handlers())
    schema = schemathesis.openapi.from_dict(document).exclude(func=_executes)
    session = requests.Session()
    session.headers.update({"Authorization": f"token {server.token}"})
    failures: list[str] = []
    succeeded: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
        if operation.path.endswith("/cancel"):
            seeded["job_id"] = [str(_seed_queued_job())]
        if operation.path.endswith("/stop"):  # a running endpoint (deployment) to stop
            process, identifier = start_standin("iris", version="2")
            standins.append(process)
            seeded["identifier"] = [identifier]
        positive = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
        strategies = {
            "valid": positive,
            "invalid": operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
            "aimed": _aimed(seeded, positive, _body_fields(document, operation)),
        }
        succeeded[operation.label] = 0
        for kind, strategy in strategies.items():
            try:
                succeeded[operation.label] += _fuzz(strategy, server, session)
            except (Failure, FailureGroup, requests.RequestException) as failure:
                # every operation runs; all failures are shown together
                failures.append(f"{operation.label} ({kind}): {failure}")

    assert len(succeeded) >= 10
    assert not failures, "\n\n".join(failures) + "\n\nserver log:\n" + server.log_tail()
    # The aimed requests reached real data: every operation succeeded at least once
    # (a dashboard page needs Voila's extension and a signed dashboard: not here).
    never = {label for label, count in succeeded.items() if not count}
    assert never <= {"GET /mlops-jupyter/dashboards/render/{path}"}, (sorted(never), succeeded)
