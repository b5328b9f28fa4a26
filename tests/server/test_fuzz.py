"""schemathesis fuzzes every declared endpoint of a real ``jupyter server``.

The schema is the OpenAPI document the handlers declare
(:mod:`mlops_jupyter.server.openapi`); the server is a subprocess with a seeded store
(two models, a champion, a drift check with an alert, runs) and a root holding a
pipeline file. For every operation, valid and invalid requests (a bounded number of
each) must never answer >= 500 and must answer a status and a body the document
declares. Operations marked ``x-executes-code`` (they run a pipeline or notebook) are
left out: fuzzing them would start runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from mlops_jupyter.registry import set_alias
from mlops_jupyter.server.openapi import build_document
from mlops_jupyter.server.routes import api_handlers
from tests.server.fuzzing import JupyterServer

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "example_notebooks" / "pipeline"

#: Examples per operation and generation mode: enough to reach the edge cases of each
#: declared field, few enough for the whole run to stay under about two minutes.
EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
PIPELINE = """\
name: fuzzed
steps:
  - name: prepare
    notebook: prepare.ipynb
"""


def _executes(ctx) -> bool:
    return bool(ctx.operation.definition.raw.get("x-executes-code"))


@pytest.fixture
def server(tmp_path, monitored_iris, registered):
    monitored_iris(True)  # iris v1 champion, a drift check that fired an alert
    registered("iris", metrics={"accuracy": 0.97})
    registered("other", metrics={"rmse": 2.5})
    set_alias("iris", "challenger", 2, reason="fuzzing")
    root = tmp_path / "root"
    root.mkdir()
    (root / "pipeline.yaml").write_text(PIPELINE)
    shutil.copy(EXAMPLE / "prepare.ipynb", root / "prepare.ipynb")
    jupyter = JupyterServer(tmp_path / "server", root)
    try:
        jupyter.wait_until_ready()
        yield jupyter
    finally:
        jupyter.stop()


def test_every_endpoint_survives_fuzzing(server):
    schema = schemathesis.openapi.from_dict(build_document(api_handlers())).exclude(
        func=_executes)
    session = requests.Session()
    session.headers.update(server.headers)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE,
                     schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                case.call_and_validate(base_url=server.url, session=session, checks=CHECKS,
                                       timeout=60)

            try:
                fuzz()
            except Exception as failure:  # every operation runs; all failures are shown
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures) + "\n\nserver log:\n" + server.log_tail()
