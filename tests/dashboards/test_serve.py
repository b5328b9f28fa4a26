"""A real Voila server started by ``mlops_jupyter.dashboards.serve``: token required,
overrides ignored, no file served, published dashboards only, friendly pages."""

from __future__ import annotations

import os
import re
import stat

import nbformat
import psutil
import pytest

from mlops_jupyter.dashboards.serve import ServeOptions, voila_arguments
from mlops_jupyter.exceptions import UsageError
from tests.dashboards.conftest import GHOST, MODEL, start_voila
from tests.dashboards.helpers import get, kernel_count, request

pytestmark = pytest.mark.slow
DRIFT = f"/voila/render/{MODEL}-drift.ipynb"
PASSWD = "root:x:0:0"


def assert_no_dashboard(response) -> None:
    assert MODEL not in response.body and "mlops-dash" not in response.body
    assert "Traceback" not in response.body


def test_dashboard_with_the_token(voila, dashboard_home):
    response = get(voila, DRIFT)
    assert response.status == 200
    # The output carries a static copy of the first view next to the live widget.
    assert f'data-model=\\"{MODEL}\\"' in response.body
    assert "drift detected" in response.body
    assert "1,000,000" in response.body  # rows of the latest window, read not recomputed
    assert "application/vnd.jupyter.widget-view+json" in response.body
    assert "Traceback" not in response.body and str(dashboard_home.home) not in response.body
    assert "views.drift" not in response.body  # Voila strips the sources
    # The first view was read by the server (prefetched) and its file consumed.
    assert "celltag_injected-prefetched" in response.body
    assert "prefetch-" not in response.body  # its file name (and its source) is stripped
    assert list((voila._config_dir / "prefetch").iterdir()) == []
    for name in ("overview", "health", "production"):  # production: no traffic logged
        page = get(voila, f"/voila/render/{MODEL}-{name}.ipynb")
        assert page.status == 200 and f"{name} dashboard of {MODEL}" in page.body, name
    assert "No traffic logged for" in page.body and "Traceback" not in page.body


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_no_or_wrong_token_gets_no_dashboard(voila, token):
    for path in (DRIFT, "/", f"/voila/tree/{MODEL}-drift.ipynb"):
        response = get(voila, path, token=token)
        assert response.status in (302, 403), path
        if response.status == 302:
            assert response.location.startswith("/login?"), response.location
        assert_no_dashboard(response)
    wrong_query = get(voila, f"{DRIFT}?token=not-the-token-12345", token=None)
    assert wrong_query.status in (302, 403)
    assert_no_dashboard(wrong_query)
    assert get(voila, "/api/kernels/00000000-0000-0000-0000-000000000000",
               token=token).status == 403
    # The login page is served, but it shows no dashboard either.
    login = get(voila, "/login", token=None)
    assert login.status == 200 and "password" in login.body.lower()
    assert_no_dashboard(login)


@pytest.mark.parametrize("query", ["template=../x&theme=dark",
                                   "template=reveal&theme=../../../../etc/passwd",
                                   "template=..%2F..%2Fetc&theme=%2e%2e%2fx"])
def test_template_and_theme_overrides_are_ignored(voila, query):
    response = get(voila, f"{DRIFT}?{query}")
    assert response.status == 200
    assert "voila/templates/lab/static" in response.body
    assert "templates/reveal" not in response.body and "../x" not in response.body
    assert '"jupyterLabTheme": "light"' in response.body
    assert PASSWD not in response.body


TRAVERSALS = [
    "/voila/static/../../../../../../../../etc/passwd",
    "/voila/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/static/%252e%252e/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
    "/voila/static/..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/voila/files/../../../../../../etc/passwd",
    "/voila/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    f"/voila/files/{MODEL}-drift.ipynb",
    "/voila/labextensions/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/api/themes/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/%2e%2e/static/passwd",
]


@pytest.mark.parametrize("token", ["valid", None])
def test_static_traversal_is_refused(voila, token):
    for path in TRAVERSALS:
        response = get(voila, path, token=token)
        assert response.status in (403, 404), (path, response.status)
        assert PASSWD not in response.body and '"cells"' not in response.body, path


TEMPLATE_PATHS = [
    "/voila/templates/../../etc/passwd",
    "/voila/templates/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
    "/voila/templates/..%2f..%2f..%2fetc%2fpasswd",
    "/voila/templates/%252e%252e/%252e%252e/etc/passwd",
    "/voila/templates/lab/static/../../../../../../../../etc/passwd",
    "/voila/templates/lab/static/" + "%2e%2e/" * 8 + "etc/passwd",
    "/voila/templates/lab/static/",
    "/voila/templates/lab",
    "/voila/templates/",
    "/voila/templates/nosuchtemplate/static/x.css",
    "/voila/templates/lab/static/%00",
]


def test_render_traversal_and_template_handler_never_leak(voila):
    # /voila/render/ of a non-notebook redirects to /voila/files/, which serves nothing.
    for path in ("/voila/render/../../../../etc/passwd",
                 "/voila/render/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        response = get(voila, path)
        assert response.status == 302 and response.location.startswith("/voila/files/")
        followed = get(voila, response.location)
        assert followed.status == 403 and PASSWD not in followed.body
    # Voila's own template-static handler answered these with 500 (its assert tripped).
    for path in TEMPLATE_PATHS:
        response = get(voila, path)
        assert response.status in (403, 404), (path, response.status)
        assert PASSWD not in response.body and "Traceback" not in response.body, path
    # The template's real static files are still served.
    page = get(voila, DRIFT)
    static = re.search(r'(/voila/templates/lab/static/[A-Za-z0-9_.\-]+\.(?:css|js))', page.body)
    assert static, "the page links no template static file"
    assert get(voila, static.group(1)).status == 200


def test_unknown_model_gets_a_friendly_page(voila):
    response = get(voila, f"/voila/render/{GHOST}-drift.ipynb")
    assert response.status == 200
    assert "This model is not in the registry" in response.body
    assert "Traceback" not in response.body
    assert "There was an error when executing cell" not in response.body


def test_only_published_dashboards_are_rendered(voila):
    response = get(voila, "/voila/render/notes.ipynb")
    assert response.status == 403 and "not a published dashboard" in response.body
    assert "views.drift" not in response.body
    missing = get(voila, "/voila/render/nothing-here.ipynb")
    assert missing.status == 404 and "Traceback" not in missing.body


def test_the_token_is_kept_out_of_the_process_list(voila):
    command = " ".join(psutil.Process(voila.pid).cmdline())  # what `ps` shows
    assert "voila" in command and voila.token not in command
    assert "allow_template_override=NO" in command and "max_kernels=4" in command
    config_dir = next(arg.split("=", 1)[1] for arg in command.split()
                      if arg.startswith("--Voila.config_file_paths="))
    mode = os.stat(os.path.join(config_dir, "voila.json")).st_mode
    assert stat.S_IMODE(mode) == 0o600
    home = request(voila, "GET", "/")
    assert home.status == 200


def test_serve_options_are_validated(tmp_path):
    good = ServeOptions(directory=tmp_path, port=0).validated()
    assert 0 < good.port < 65536 and good.token is None
    for bad in ({"host": "0.0.0.0; rm -rf /"}, {"port": 70000}, {"token": "short"},
                {"max_kernels": 0}, {"base_url": "dash"}, {"idle_timeout": 1},
                {"directory": tmp_path / "missing"}):
        with pytest.raises(UsageError):
            ServeOptions(**{"directory": tmp_path, **bad}).validated()
    arguments = " ".join(voila_arguments(good, tmp_path))
    for flag in ("--VoilaConfiguration.allow_theme_override=NO",
                 "--VoilaConfiguration.show_tracebacks=False",
                 "--VoilaConfiguration.preheat_kernel=False",
                 "--MappingKernelManager.cull_idle_timeout=900",
                 "--VoilaExecutor.timeout=60", "--Voila.ip=127.0.0.1"):
        assert flag in arguments


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_stopping_the_command_stops_voila_cleanly(dashboard_home, how, tmp_path):
    """SIGTERM to the command (kill, systemd) or SIGINT to its whole process group
    (Ctrl-C in a terminal): Voila stops too, and nobody prints a traceback."""
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, **dashboard_home.env}
    env.pop("MLFLOW_TRACKING_URI", None)
    # The output goes to a file, not a pipe: what is measured is the command's own
    # exit, not when the last of Voila's processes lets go of an inherited pipe.
    output = tmp_path / "serve.log"
    with open(output, "w") as sink:
        command = subprocess.Popen(
            [sys.executable, "-m", "mlops_jupyter.cli", "dashboard", "serve",
             str(dashboard_home.dashboards), "--port", "0"],
            env=env, stdout=sink, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "Open: " not in output.read_text():  # wait until Voila is up
            assert command.poll() is None, output.read_text()[-2000:]
            assert time.monotonic() < deadline, output.read_text()[-2000:]
            time.sleep(0.1)
        children = psutil.Process(command.pid).children(recursive=True)
        assert any("voila" in " ".join(child.cmdline()) for child in children)
        if how == "sigterm":
            command.send_signal(signal.SIGTERM)
        else:
            os.killpg(command.pid, signal.SIGINT)
        # Bounded by design: 10 s for Voila to finish a Ctrl-C by itself, 15 s after
        # SIGTERM, then SIGKILL.
        try:
            command.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("the serve command did not stop:\n"
                                 + output.read_text()[-3000:]) from None
        rest = output.read_text()
        assert command.returncode == 0, rest[-2000:]
        assert "Traceback" not in rest, rest[-2000:]
        deadline = time.monotonic() + 15
        while any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                  for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                       for child in children), "Voila outlived the serve command"
    finally:
        if command.poll() is None:
            command.kill()


def marker_cell(marker) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w').write('ran')")


def test_only_notebooks_signed_by_publish_run(voila, dashboard_env, tmp_path):
    """A notebook that merely claims to be a dashboard never runs (403, no kernel, no
    side effect); a published one runs until it is changed, then it is refused too."""
    from mlops_jupyter.dashboards.publish import list_dashboards, publish

    folder = dashboard_env.dashboards
    forged_marker, tampered_marker = tmp_path / "forged-ran", tmp_path / "tampered-ran"
    forged = nbformat.v4.new_notebook(cells=[marker_cell(forged_marker)], metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "mlops_dashboard": {"model": MODEL, "template": "drift", "published": "2026-11-28"}})
    nbformat.write(forged, folder / f"{MODEL}-forged.ipynb")
    published = publish("tampered", "health", folder, check_model=False)
    try:
        response = get(voila, f"/voila/render/{MODEL}-forged.ipynb")
        assert response.status == 403 and "not a published dashboard" in response.body
        assert not forged_marker.exists(), "the forged notebook's code ran"

        assert get(voila, "/voila/render/tampered-health.ipynb").status == 200  # as published
        listed = {item["file"] for item in list_dashboards(folder)}
        assert "tampered-health.ipynb" in listed and f"{MODEL}-forged.ipynb" not in listed

        notebook = nbformat.read(published, as_version=4)
        notebook.cells.insert(0, marker_cell(tampered_marker))
        nbformat.write(notebook, published)
        response = get(voila, "/voila/render/tampered-health.ipynb")
        assert response.status == 403 and "not a published dashboard" in response.body
        assert not tampered_marker.exists(), "the tampered notebook's code ran"
        assert "tampered-health.ipynb" not in {item["file"] for item in list_dashboards(folder)}
    finally:
        (folder / f"{MODEL}-forged.ipynb").unlink(missing_ok=True)
        published.unlink(missing_ok=True)


async def test_a_culled_kernel_closes_its_websocket(dashboard_home, tmp_path):
    """Idle culling (10 s here) shuts the page's kernel down and closes the page's
    kernel websocket; before, the socket stayed open on a dead kernel."""
    import asyncio

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    server = await asyncio.to_thread(start_voila, dashboard_home, tmp_path / "voila.log",
                                     max_kernels=2, idle_timeout=10)
    try:
        page = await asyncio.to_thread(get, server, DRIFT, release=False)
        assert page.status == 200
        kernel_id = re.search(r'"kernelId": "([0-9a-f-]{36})"', page.body).group(1)
        socket = await websocket_connect(HTTPRequest(
            f"ws://127.0.0.1:{server.options.port}/api/kernels/{kernel_id}/channels"
            "?session_id=test-session",
            headers={"Authorization": f"token {server.token}"}))

        async def until_closed():
            while await socket.read_message() is not None:
                pass

        try:  # a bound for a hang, not a timing assertion: culling takes 10-15 s
            await asyncio.wait_for(until_closed(), timeout=120)
        except asyncio.TimeoutError:
            pytest.fail("the websocket of the culled kernel is still open")
        assert socket.close_code == 1000 and socket.close_reason == "kernel shut down"
        assert kernel_count(server) == 0
        log = (tmp_path / "voila.log").read_text()
        assert "Culling" in log
    finally:
        await asyncio.to_thread(server.stop)
