"""Record the JupyterLab commands a test's clicks execute (the app is exposed to the page
with ``--LabApp.expose_app_in_browser=True``)."""

from __future__ import annotations

EXPOSE_APP = ["--LabApp.expose_app_in_browser=True"]

_INSTALL = """(ids) => {
  const app = window.jupyterapp;
  window.__mlopsExecuted = [];
  app.commands.commandExecuted.connect((_, args) =>
    window.__mlopsExecuted.push({ id: args.id, args: args.args }));
  // A command another part registers (e.g. the run view) may be absent here: a stub
  // stands in so executing it is recorded rather than refused.
  for (const id of ids) {
    if (!app.commands.hasCommand(id)) {
      app.commands.addCommand(id, { execute: () => undefined });
    }
  }
}"""


def install_command_spy(page, *ids: str) -> None:
    """Start recording executed commands (stubbing ``ids`` that are not registered)."""
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands")
    page.evaluate(_INSTALL, list(ids))


def executed(page, command: str) -> list[dict]:
    """The arguments of each execution of ``command`` since the spy was installed."""
    return page.evaluate("(id) => window.__mlopsExecuted.filter(e => e.id === id)"
                         ".map(e => e.args)", command)


def wait_for_command(page, command: str) -> None:
    """Wait until ``command`` was executed (fails after Playwright's timeout)."""
    page.wait_for_function("(id) => window.__mlopsExecuted.some(e => e.id === id)", arg=command,
                           timeout=10_000)


def click_chart_point(page, chart, x_fraction: float, y_fraction: float,
                      insets: dict[str, float]) -> None:
    """Click the canvas of ``chart`` where a point at (fraction of the inner box) is."""
    box = chart.bounding_box()
    inner_w = box["width"] - insets["left"] - insets["right"]
    inner_h = box["height"] - insets["top"] - insets["bottom"]
    page.mouse.click(box["x"] + insets["left"] + x_fraction * inner_w,
                     box["y"] + insets["top"] + y_fraction * inner_h)
