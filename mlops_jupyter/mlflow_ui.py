"""The MLflow UI inside JupyterLab: a jupyter-server-proxy server process.

Registered as the ``mlflow`` entry point of the ``jupyter_serverproxy_servers``
group (pyproject.toml), so once the package is installed, JupyterLab serves the
MLflow UI at ``<base_url>mlflow/`` behind its own authentication: the process starts
on the first request (on demand) and listens on 127.0.0.1 only.

Why this shape:

* The command is ``python -m mlops_jupyter.mlflow_ui --port N``: this module, not
  ``mlflow server`` directly. It resolves the store with :func:`config.tracking_uri`
  and :func:`config.artifact_root` (the same store the sidebar reads), so the store
  URI — which may hold a database password — never appears on a command line or in
  jupyter-server-proxy's log, and it drops the Jupyter tokens from its environment
  before MLflow starts (jupyter-server-proxy hands a child the server's whole
  environment).
* The proxy forwards the browser's headers; the overrides below blank the
  ``Authorization`` and ``Cookie`` headers (Jupyter's token and session cookie) and
  the XSRF header, and present ``Host``/``Origin`` as the local address, so MLflow
  3's host-header and CORS middleware (``--allowed-hosts``,
  ``--cors-allowed-origins``, default: localhost only) keeps protecting the port
  against DNS rebinding while the proxied requests pass, whatever the public host.
* ``absolute_url`` stays False: MLflow sees paths from ``/``; its UI loads assets and
  calls ``ajax-api`` with relative URLs, so it works under any ``base_url``
  (``/user/x/mlflow/`` too).
* A store that is an MLflow tracking server (``http(s)://``) has its own UI; the
  sidebar links there instead (:mod:`mlops_jupyter.activity.status`), and this
  process, if opened anyway, proxies nothing but a one-line page saying so.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

#: The path under the Jupyter server's base URL (jupyter-server-proxy: the entry name).
PROXY_NAME = "mlflow"
#: Seconds to wait for the MLflow server to answer (its first start migrates SQLite).
START_TIMEOUT_S = 60.0
#: Environment variables the UI process never gets.
SECRET_ENV = ("JUPYTER_TOKEN", "JPY_API_TOKEN", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_OAUTH",
              "MLOPS_SERVE_TOKEN", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD",
              "MLFLOW_TRACKING_USERNAME")


def server_process() -> dict:
    """The jupyter-server-proxy ``ServerProcess`` settings of the MLflow UI.

    Also usable in ``jupyter_server_config.py``:
    ``c.ServerProxy.servers = {"mlflow": server_process()}``.
    """
    icon = Path(__file__).with_name("mlflow_ui.svg")
    return {
        "command": [sys.executable, "-m", "mlops_jupyter.mlflow_ui", "--port", "{port}"],
        "timeout": START_TIMEOUT_S,
        "absolute_url": False,
        "new_browser_tab": True,
        "launcher_entry": {"enabled": True, "title": "MLflow UI", "category": "Other",
                           **({"icon_path": str(icon)} if icon.is_file() else {})},
        "request_headers_override": {
            "Host": "127.0.0.1:{port}",
            "Origin": "http://127.0.0.1:{port}",
            "Authorization": "",
            "Cookie": "",
            "X-XSRFToken": "",
        },
    }


def clean_environment(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` without Jupyter/JupyterHub tokens and tracking credentials."""
    return {key: value for key, value in environ.items()
            if key not in SECRET_ENV and not key.startswith("JUPYTERHUB_API")}


def mlflow_server_args(port: int, uri: str, artifact_root: str) -> list[str]:
    """The ``mlflow server`` arguments for ``uri`` on 127.0.0.1:``port``.

    No access log: a request's URL may carry the Jupyter token (``/mlflow/?token=…``
    is authenticated by Jupyter and proxied as it is), and the UI's log is the Jupyter
    server's log.
    """
    return ["server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--backend-store-uri", uri, "--default-artifact-root", artifact_root,
            "--uvicorn-opts", "--no-access-log"]


def main(argv: list[str] | None = None) -> None:
    """Run the MLflow UI of the configured store on 127.0.0.1:``--port``."""
    parser = argparse.ArgumentParser(prog="python -m mlops_jupyter.mlflow_ui",
                                     description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.exit(2, "error: --port must be 1-65535\n")

    clean = clean_environment(dict(os.environ))
    if clean != dict(os.environ):
        # Start over without them: the same process (jupyter-server-proxy watches its
        # pid), and no copy of a token left in its initial environment either.
        os.execve(sys.executable, [sys.executable, "-m", "mlops_jupyter.mlflow_ui",
                                   "--port", str(args.port)], clean)

    from . import config

    uri = config.tracking_uri()
    if config.is_tracking_server(uri):
        _serve_notice(args.port)
        return
    from mlflow.cli import cli

    cli.main(args=mlflow_server_args(args.port, uri, config.artifact_root(uri)),
             prog_name="mlflow", standalone_mode=True)


def _serve_notice(port: int) -> None:
    """The store is a tracking server with its own UI: say so (no second UI)."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Notice(BaseHTTPRequestHandler):
        def do_GET(self):
            body = (b"<p>The tracking store is an MLflow server: open its own UI "
                    b"(the link in the mlops sidebar).</p>")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    HTTPServer(("127.0.0.1", port), Notice).serve_forever()


if __name__ == "__main__":
    main()
