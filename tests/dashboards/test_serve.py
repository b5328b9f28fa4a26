"""A real Voila server started by ``mlops_jupyter.dashboards.serve``: token required,
overrides ignored, no file served, published dashboards only, friendly pages."""

from __future__ import annotations

import os
import stat

import psutil
import pytest

from mlops_jupyter.dashboards.serve import ServeOptions, voila_arguments
from mlops_jupyter.exceptions import UsageError
from tests.dashboards.conftest import GHOST, MODEL
from tests.dashboards.helpers import get, request

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
    for name in ("overview", "health"):
        page = get(voila, f"/voila/render/{MODEL}-{name}.ipynb")
        assert page.status == 200 and f"{name} dashboard of {MODEL}" in page.body, name


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


def test_render_traversal_and_template_handler_never_leak(voila):
    # /voila/render/ of a non-notebook redirects to /voila/files/, which serves nothing.
    for path in ("/voila/render/../../../../etc/passwd",
                 "/voila/render/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        response = get(voila, path)
        assert response.status == 302 and response.location.startswith("/voila/files/")
        followed = get(voila, response.location)
        assert followed.status == 403 and PASSWD not in followed.body
    # Voila's template-static handler trips on its own assertion (500) for these; what
    # matters is that no file and no traceback comes back.
    for path in ("/voila/templates/lab/static/../../../../../../../../etc/passwd",
                 "/voila/templates/lab/static/" + "%2e%2e/" * 8 + "etc/passwd"):
        response = get(voila, path)
        assert response.status >= 400
        assert PASSWD not in response.body and "Traceback" not in response.body


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


def test_stopping_the_command_with_sigterm_stops_voila(dashboard_home):
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, **dashboard_home.env}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = subprocess.Popen(
        [sys.executable, "-m", "mlops_jupyter.cli", "dashboard", "serve",
         str(dashboard_home.dashboards), "--port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in command.stdout:  # wait until Voila is up
            if "Open: " in line:
                break
        children = psutil.Process(command.pid).children(recursive=True)
        assert any("voila" in " ".join(child.cmdline()) for child in children)
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=30) == 0
        deadline = time.monotonic() + 15
        while any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                  for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(child.is_running() and child.status() != psutil.STATUS_ZOMBIE
                       for child in children), "Voila outlived the serve command"
    finally:
        if command.poll() is None:
            command.kill()
