"""``%mlops status``: the session run id is a link that opens its Run view."""

from __future__ import annotations

import html
import json


def test_status_html_links_the_session_run(monkeypatch):
    import IPython.display

    from mlops_jupyter.magics import mlops

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda bundle, raw=False: shown.append((bundle, raw)))
    run_id = "0123456789abcdef0123456789abcdef"
    lines = ["store:        sqlite:///x<y>.db", f"session run:  {run_id}"]
    mlops._display_status(lines, run_id)

    (bundle, raw), = shown
    assert raw and bundle["text/plain"] == "\n".join(lines)  # terminals: plain text
    page = bundle["text/html"]
    assert 'data-commandlinker-command="mlops:open-run"' in page
    args = page.split("data-commandlinker-args='")[1].split("'")[0]
    assert json.loads(html.unescape(args)) == {"runId": run_id}
    assert "x&lt;y&gt;.db" in page  # the rest is escaped text


def test_status_without_a_session_has_no_link(monkeypatch):
    import IPython.display

    from mlops_jupyter.magics import mlops

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda bundle, raw=False: shown.append(bundle))
    mlops._display_status(["experiment:   (not tracking)"], None)
    assert "commandlinker" not in shown[0]["text/html"]
