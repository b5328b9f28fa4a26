"""The MLflow UI through jupyter-server-proxy, behind the Jupyter server's
authentication, on the same store the sidebar reads, under a non-root base URL
(JupyterHub's kind: ``/user/x/``)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from mlops_jupyter.mlflow_ui import server_process

NAMESPACE = "mlops-jupyter"

@pytest.fixture
def jp_base_url():
    """A JupyterHub user's base URL (pytest-jupyter's ``/a%40b/`` cannot be followed
    through a redirect: the client reads the decoded ``@`` as credentials)."""
    return "/user/x/"


@pytest.fixture
def jp_server_config(jp_server_config):
    """jupyter-server-proxy on, serving the MLflow UI from the same function the
    pyproject entry point names (``c.ServerProxy.servers``: the entry points installed
    in a shared environment may belong to another checkout)."""
    server_app = {**jp_server_config["ServerApp"],
                  "jpserver_extensions": {**jp_server_config["ServerApp"]["jpserver_extensions"],
                                          "jupyter_server_proxy": True}}
    return {**jp_server_config, "ServerApp": server_app,
            "ServerProxy": {"servers": {"mlflow": server_process()}}}


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == parent:
            found.append(int(entry.name))
    return found


def _ui_processes() -> list[int]:
    """Our children running the MLflow UI launcher (to stop them by pid)."""
    found = []
    for pid in _children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"mlops_jupyter.mlflow_ui" in cmdline:
            found.append(pid)
    return found


@pytest.fixture
def stop_ui():
    yield
    for pid in _ui_processes():
        os.kill(pid, signal.SIGTERM)  # MLflow forwards it to its uvicorn child
    deadline = time.monotonic() + 20
    while _ui_processes() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture
def ui(http_server_client, jp_auth_header, jp_base_url):
    """Fetch ``<base_url>mlflow/<path>`` (with the token unless ``anonymous``)."""
    async def fetch(path: str = "", *, anonymous: bool = False, body=None, **kwargs):
        headers = {} if anonymous else dict(jp_auth_header)
        if body is not None:
            headers["Content-Type"] = "application/json"
            kwargs.update(method="POST", body=json.dumps(body))
        return await http_server_client.fetch(f"{jp_base_url}mlflow/{path}", headers=headers,
                                              request_timeout=120, follow_redirects=False,
                                              **kwargs)
    return fetch


async def test_the_mlflow_ui_is_proxied_on_the_same_store(jp_fetch, jp_base_url, seed_runs, ui,
                                                          stop_ui, monkeypatch):
    # A JupyterHub server holds its API token in the environment: the UI must not.
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "hub-secret")
    body = json.loads((await jp_fetch(NAMESPACE, "status")).body)
    assert body["mlflow_ui"] == {"url": f"{jp_base_url}mlflow/", "proxied": True}

    page = await ui()
    assert b"<title>MLflow</title>" in page.body
    assert b'src="static-files/static/js/' in page.body  # relative: works under base_url
    script = page.body.split(b'src="', 1)[1].split(b'"', 1)[0].decode()
    assert (await ui(script)).code == 200
    search = await ui("ajax-api/2.0/mlflow/experiments/search", body={"max_results": 50})
    names = [e["name"] for e in json.loads(search.body)["experiments"]]
    assert "churn-model" in names  # the seeded store: the same store as the sidebar's
    runs = await ui("ajax-api/2.0/mlflow/runs/search",
                    body={"experiment_ids": [seed_runs.experiment_id]})
    assert {r["info"]["run_id"] for r in json.loads(runs.body)["runs"]} == set(
        seed_runs.run_ids_newest_first)

    for path, post in [("", None), ("ajax-api/2.0/mlflow/experiments/search", {})]:
        with pytest.raises(HTTPClientError) as caught:
            await ui(path, anonymous=True, body=post)
        assert caught.value.code in (302, 403)
        if caught.value.code == 302:
            assert "/login" in caught.value.response.headers["Location"]

    [pid] = _ui_processes()
    for process in [pid, *_children(pid)]:  # the launcher and MLflow's uvicorn
        environ = Path(f"/proc/{process}/environ").read_bytes()
        assert b"hub-secret" not in environ and b"JUPYTERHUB_API_TOKEN" not in environ
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert b"sqlite" not in cmdline  # the store is resolved inside, never on a command line


def test_the_ui_process_logs_no_request_url(tmp_path, monkeypatch):
    """A URL may carry the Jupyter token (``/mlflow/?token=…`` is proxied as it is) and
    the UI's output is the Jupyter server's log: the UI keeps no access log."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from mlops_jupyter.processes import stop_process_group

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLOPS_JUPYTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    log = tmp_path / "ui.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "mlops_jupyter.mlflow_ui",
                                    "--port", str(port)], stdout=out, stderr=out,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/"
                                       f"experiments/search?max_results=1&token=SECRET-42",
                                       timeout=5).read()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, \
                    log.read_text()[-2000:]
                time.sleep(0.5)
        time.sleep(0.5)
        assert "SECRET-42" not in log.read_text()
    finally:
        stop_process_group(process.pid)
