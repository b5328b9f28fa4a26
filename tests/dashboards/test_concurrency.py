"""50 page views at once against a kernel cap of 3: the cap holds (503 beyond it),
every request is answered and the server keeps answering afterwards."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mlops_jupyter.dashboards.kernels import BUSY_REASON
from tests.dashboards.conftest import MODEL, start_voila
from tests.dashboards.helpers import get, kernel_count, request

pytestmark = pytest.mark.slow
CAP = 3
LOADS = 50


def test_fifty_concurrent_page_loads_stay_within_the_cap(dashboard_home, tmp_path):
    server = start_voila(dashboard_home, tmp_path / "voila.log", max_kernels=CAP,
                         idle_timeout=30)
    counts: list[int] = []
    done = threading.Event()

    def watch() -> None:  # the kernels the Voila process runs, sampled during the burst
        while not done.is_set():
            counts.append(kernel_count(server))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    try:
        watcher.start()
        with ThreadPoolExecutor(max_workers=LOADS) as pool:
            responses = list(pool.map(
                lambda _: get(server, f"/voila/render/{MODEL}-drift.ipynb", release=False,
                              timeout=180), range(LOADS)))
        done.set()
        watcher.join(timeout=5)

        statuses = [response.status for response in responses]
        assert set(statuses) <= {200, 503}, statuses
        assert 1 <= statuses.count(200) <= CAP  # kernels are kept until released/culled
        assert statuses.count(503) >= LOADS - CAP
        busy = next(response for response in responses if response.status == 503)
        assert BUSY_REASON in busy.body and "Traceback" not in busy.body
        served = next(response for response in responses if response.status == 200)
        assert "drift detected" in served.body
        assert counts and max(counts) <= CAP, max(counts)

        # Still answering: the tree page needs no kernel; freeing one slot lets the next
        # reader in.
        assert request(server, "GET", "/").status == 200
        assert get(server, f"/voila/render/{MODEL}-overview.ipynb").status == 503
        ids = [line.split('"kernelId": "')[1][:36] for line in
               (response.body for response in responses if response.status == 200)]
        for kernel_id in ids:
            assert request(server, "DELETE", f"/api/kernels/{kernel_id}").status == 204
        again = get(server, f"/voila/render/{MODEL}-overview.ipynb")
        assert again.status == 200 and "overview dashboard of" in again.body
        assert kernel_count(server) <= CAP
    finally:
        done.set()
        server.stop()
