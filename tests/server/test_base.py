"""Every error of an mlops-jupyter handler is a one-line JSON body, never a traceback."""

from __future__ import annotations

import json

import pytest
import tornado.web
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError

from mlops_jupyter.exceptions import NotFoundError, StoreUnavailableError
from mlops_jupyter.server.base import MLOpsHandler

SECRET_DETAIL = "/home/alice/.secrets token=abc123"


class FailingHandler(MLOpsHandler):
    """Raises what the ``kind`` query argument names."""

    @tornado.web.authenticated
    def get(self) -> None:
        kind = self.get_query_argument("kind")
        if kind == "not-found":
            raise NotFoundError("model churn does not exist")
        if kind == "store-down":
            raise StoreUnavailableError("the tracking store did not answer")
        if kind == "path":
            root = self.settings["server_root_dir"]
            raise NotFoundError(f"no file {root}/data/train.csv under {root}")
        raise RuntimeError(f"boom in {SECRET_DETAIL}")


@pytest.fixture
def fetch_failing(jp_serverapp, jp_fetch):
    jp_serverapp.web_app.add_handlers(
        ".*$", [(url_path_join(jp_serverapp.base_url, "mlops-test/fail"), FailingHandler)]
    )

    async def fetch(**params: str):
        return await jp_fetch("mlops-test", "fail", params=params)

    return fetch


async def error_of(fetch, **params: str) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as caught:
        await fetch(**params)
    return caught.value.code, caught.value.response.body.decode()


@pytest.mark.parametrize(
    ("kind", "status", "message"),
    [
        ("not-found", 404, "model churn does not exist"),
        ("store-down", 503, "the tracking store did not answer"),
        ("crash", 500, "internal error"),
    ],
)
async def test_errors_map_to_status_and_one_line(fetch_failing, kind, status, message):
    code, body = await error_of(fetch_failing, kind=kind)

    assert code == status
    assert json.loads(body) == {"error": message}


async def test_error_messages_name_paths_relative_to_the_root(fetch_failing, jp_root_dir):
    code, body = await error_of(fetch_failing, kind="path")

    assert code == 404
    assert json.loads(body) == {"error": "no file data/train.csv under ."}
    assert str(jp_root_dir) not in body


async def test_unexpected_errors_leak_nothing(fetch_failing, caplog):
    code, body = await error_of(fetch_failing, kind="crash")

    assert code == 500
    assert "alice" not in body and "abc123" not in body and "Traceback" not in body
    assert any("boom in" in record.getMessage() or record.exc_info for record in caplog.records)
