"""Voila dashboards for stakeholders: templates, publishing and a secured server.

- :mod:`.data` — what the dashboards show, read from stored results only (the
  registry and the monitoring runs); nothing is recomputed on a page view.
- :mod:`.charts`, :mod:`.html` — plotly figures, SVG sparklines and HTML pieces.
- :mod:`.views` — the ipywidgets dashboards the notebook templates display (one module each).
- :mod:`.publish` — writes a parameterised dashboard notebook from a template.
- :mod:`.serve` — starts Voila with token auth, no template/theme overrides,
  limited static files, an execution timeout, idle culling and a kernel cap
  (:mod:`.kernels`).

Nothing is imported here, so importing the package costs nothing.
"""
