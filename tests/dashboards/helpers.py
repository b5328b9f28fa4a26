"""Raw HTTP against the test's Voila server (no client-side URL normalisation)."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass

import psutil


@dataclass
class Response:
    status: int
    location: str | None
    body: str


def request(server, method: str, path: str, *, token: str | None = "valid",
            timeout: float = 120) -> Response:
    """Send ``path`` exactly as written (``..`` and ``%2e`` reach the server).

    ``token="valid"`` sends the server's token in the Authorization header; None sends
    none; any other string is sent as the token.
    """
    connection = http.client.HTTPConnection("127.0.0.1", server.options.port, timeout=timeout)
    headers = {}
    if token is not None:
        headers["Authorization"] = f"token {server.token if token == 'valid' else token}"
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return Response(response.status, response.getheader("Location"),
                        response.read().decode("utf-8", errors="replace"))
    finally:
        connection.close()


def get(server, path: str, *, token: str | None = "valid", release: bool = True,
        timeout: float = 120) -> Response:
    """GET ``path``; with ``release``, shut the page's kernel down afterwards, as the
    page itself does when its tab closes (an HTTP client never opens the tab)."""
    response = request(server, "GET", path, token=token, timeout=timeout)
    found = re.search(r'"kernelId": "([0-9a-f-]{36})"', response.body)
    if release and found:
        request(server, "DELETE", f"/api/kernels/{found.group(1)}")
    return response


def kernel_count(server) -> int:
    """Kernels (ipykernel processes) the Voila process has running now.

    Direct children only: a kernel's own subprocess carries the kernel's command line
    between fork and exec, and counting it made the cap look exceeded (4 of 3)."""
    try:
        children = psutil.Process(server.pid).children(recursive=False)
    except psutil.NoSuchProcess:
        return 0
    count = 0
    for child in children:
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return count
