"""A stand-in for a running ``mlops serve``: a real process on loopback whose command
line reads ``... mlops_jupyter.cli serve MODEL@ALIAS``, that answers ``/health`` and
describes itself in the endpoint state files (serving.endpoints) with fixed counters —
so listing, stopping and the sidebar are tested without loading a model.

Run as ``python -c SCRIPT mlops_jupyter.cli serve MODEL@ALIAS PORT VERSION``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

from mlops_jupyter import config
from mlops_jupyter.serving import endpoints

SCRIPT = r"""
import http.server, os, signal, sys, threading, time
from mlops_jupyter.serving import endpoints
model, alias = sys.argv[3].split("@")
port, version = int(sys.argv[4]), sys.argv[5]
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Health)
url = f"http://127.0.0.1:{port}"
identifier = endpoints.write_endpoint({
    "model": model, "alias": alias, "challenger": "challenger", "split": 0.2,
    "shadow": None, "host": "127.0.0.1", "port": port, "url": url, "pid": os.getpid(),
    "workers": 1, "started": time.time(), "log_url": "inference"})
buckets = [0] * len(endpoints.LATENCY_BUCKETS_MS)
buckets[endpoints.bucket_index(3.0)] = 90
buckets[endpoints.bucket_index(20.0)] = 10
small = [0] * len(endpoints.LATENCY_BUCKETS_MS)
small[endpoints.bucket_index(4.0)] = 24
small[endpoints.bucket_index(30.0)] = 6
endpoints.write_worker(identifier, os.getpid(), {
    "updated": time.time(), "window_s": 60.0, "last_error": "model raised: boom",
    "versions": {"champion": {"alias": alias, "version": version, "since": time.time()},
                 "challenger": {"alias": "challenger", "version": "2", "since": time.time()}},
    "swaps": [{"time": time.time() - 30, "role": "champion", "alias": alias,
               "from_version": None, "to_version": version, "outcome": "switched",
               "error": None}],
    "variants": {"champion": {"requests": 100, "errors": 1, "latency_buckets": buckets},
                 "challenger": {"requests": 30, "errors": 0, "latency_buckets": small}}})
def stop(*_):
    endpoints.remove_endpoint(identifier)
    threading.Thread(target=server.shutdown).start()
signal.signal(signal.SIGTERM, stop)
server.serve_forever()
"""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_standin(model: str, alias: str = "champion", version: str = "1",
                  port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start the stand-in (its own session, like a started endpoint); returns the
    process and the endpoint id once its state file exists."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, "mlops_jupyter.cli", "serve", f"{model}@{alias}",
         str(port), version], start_new_session=True, env=dict(os.environ))
    identifier = endpoints.endpoint_id(model, port)
    deadline = time.monotonic() + 20
    while not _exists(identifier):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_standin(process)
            raise RuntimeError("the stand-in endpoint did not start")
        time.sleep(0.05)
    return process, identifier


def _exists(identifier: str) -> bool:
    folder = config.serving_dir() / identifier
    return (folder / endpoints.ENDPOINT_FILE).is_file() and any(
        folder.glob(f"{endpoints.WORKER_PREFIX}*.json"))


def stop_standin(process: subprocess.Popen) -> None:
    """Stop the stand-in by its pid, whatever state it is in."""
    from mlops_jupyter.processes import stop_process_group

    stop_process_group(process.pid, 5.0, process=process)
