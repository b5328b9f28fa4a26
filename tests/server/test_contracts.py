"""The contract building blocks: replies keep what the service said, queries parse
into one-line errors."""

from __future__ import annotations

import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.registry.contracts import GateVerdict, ModelList
from mlops_jupyter.server.schemas import parse_query
from mlops_jupyter.tracking.contracts import RunsQuery


def test_a_reply_is_exactly_what_the_service_said():
    data = {"models": [{"name": "iris", "aliases": {"champion": "1"},
                        "versions": [{"version": "1", "metrics": {"accuracy": 0.9},
                                      "extra_field": [1, 2]}]}]}

    assert ModelList.model_validate(data).to_json() == data


def test_a_reply_that_breaks_its_contract_is_refused():
    with pytest.raises(ValueError, match="candidate"):
        GateVerdict.model_validate({"passed": True, "policy": {}})


@pytest.mark.parametrize(("arguments", "message"), [
    ({"max_results": "ten"}, "max_results must be a whole number, not 'ten'"),
    ({"max_results": "1.5"}, "max_results must be a whole number, not '1.5'"),
    ({"page_token": "\u00eb"}, "page_token must be the next_page_token of a previous page"),
    ({"page_token": "x" * 3000}, "page_token is too long (at most 2048 characters)"),
])
def test_query_errors_are_one_line(arguments, message):
    with pytest.raises(UsageError) as caught:
        parse_query(arguments, RunsQuery)

    assert caught.value.message == message


def test_query_ignores_unknown_and_empty_arguments():
    query = parse_query({"max_results": "5", "status": "", "utm": "x"}, RunsQuery)

    assert (query.max_results, query.status, query.page_token) == (5, None, None)
