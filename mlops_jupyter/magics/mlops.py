"""The ``%mlops`` line magic and ``%%mlops`` cell magic.

Thin by design: parse the line, call the tracking session, print one line. Errors
the user can cause are shown as IPython usage errors (one line, no traceback).
"""

from __future__ import annotations

import ast
import re

from IPython.core.error import UsageError as IPythonUsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..exceptions import MLOpsError
from ..tracking import capture
from ..tracking.session import TrackingSession, current_session
from . import arguments

_MLOPS_LINE = re.compile(r"%mlops\b")


def _only_mlops_lines(source: str) -> bool:
    """Cells made only of %mlops lines (track, status, ...) are bookkeeping, not work.

    Line by line on purpose: one regex over the whole cell backtracks exponentially
    on blank lines, and this runs before every cell.
    """
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and not _MLOPS_LINE.match(line):
            return False
    return True


@magics_class
class MLOpsMagics(Magics):
    """``%mlops`` subcommands and the ``pre/post_run_cell`` hooks that track cells."""

    def __init__(self, shell):
        super().__init__(shell)
        self.session: TrackingSession = current_session()
        self._hooked_cell = None

    # ------------------------------------------------------------------- magic
    @line_cell_magic
    def mlops(self, line: str, cell: str | None = None):
        """Track notebook cells as MLflow runs. ``%mlops --help`` lists subcommands."""
        try:
            args = arguments.parse(line)
            if cell is not None:
                if args.command != "track":
                    raise MLOpsError("only 'track' works as a cell magic: %%mlops track")
                return self._track_this_cell(args, cell)
            return getattr(self, f"_cmd_{args.command}")(args)
        except MLOpsError as exc:
            raise IPythonUsageError(f"mlops: {exc}") from None

    def _cmd_help(self, args) -> None:
        print(arguments.USAGE)

    def _cmd_track(self, args) -> None:
        if args.name:
            raise MLOpsError("--name is for %%mlops track (one cell); "
                             "session cells are named by their execution count")
        notebook = capture.notebook_path(self.shell.user_ns)
        experiment = self.session.start(args.experiment, notebook)
        where = f" for {notebook.name}" if notebook else ""
        print(f"mlops: tracking every cell{where} into experiment {experiment!r} "
              f"({self.session.status().tracking_uri}); %mlops stop to end")

    def _cmd_stop(self, args) -> None:
        count = self.session.stop()
        written = self.session.flush(timeout=2.0)
        pending = "" if written else "; some events are still pending and will be written " \
                                     "when the store answers (%mlops status)"
        print(f"mlops: stopped tracking after {count} cell(s){pending}")

    def _cmd_status(self, args) -> None:
        status = self.session.status()
        lines = [f"store:        {status.tracking_uri}",
                 f"experiment:   {status.experiment or '(not tracking)'}"]
        if status.experiment:
            run = status.session_run_id or "(pending: not written yet)"
            lines.append(f"session run:  {run}")
        lines.append(f"tracked cells: {status.tracked_cells}")
        if status.writer is not None:
            writer = status.writer
            lines.append(f"events: {writer.written} written, {writer.queued} waiting, "
                         f"{writer.spooled} spooled to disk, {writer.rejected} rejected")
            if writer.last_error:
                retry = f" (retrying in {writer.retry_in_s:.1f} s)" if writer.retry_in_s else ""
                lines.append(f"last error:   {writer.last_error}{retry}")
        _display_status(lines, status.session_run_id)

    def _cmd_log(self, args) -> None:
        values = arguments.parse_pairs(args.pairs, self.shell.user_ns)
        kinds = self.session.log(values)
        print("mlops: logged " + ", ".join(f"{key} ({kind})" for key, kind in kinds.items()))

    def _cmd_snapshot(self, args) -> None:
        if not self.session.active:
            raise MLOpsError("nothing is being tracked (start with %mlops track)")
        path = self.session.snapshot()
        if path is None:
            raise MLOpsError("the notebook file is not known to this kernel "
                             "(set MLOPS_NOTEBOOK to its path)")
        print(f"mlops: notebook snapshot of {path.name} queued")

    def _cmd_flush(self, args) -> None:
        if self.session.flush(args.timeout):
            print("mlops: every event is written")
        else:
            status = self.session.status().writer
            print(f"mlops: {status.queued + status.spooled} event(s) still pending "
                  f"after {args.timeout:g} s: {status.last_error or 'store busy'}")

    def _cmd_register(self, args) -> None:
        namespace = self.shell.user_ns
        for var in filter(None, [args.var, args.input_example]):
            if not var.isidentifier() or var not in namespace:
                raise MLOpsError(f"no variable named {var!r} in the notebook")
        from ..api import register_model

        result = register_model(namespace[args.var], args.name, alias=args.alias,
                                input_example=namespace.get(args.input_example)
                                if args.input_example else None,
                                reason=args.reason, var=args.var)
        alias = f", alias {args.alias!r}" if args.alias else ""
        print(f"mlops: registered {result['name']!r} version {result['version']} "
              f"({result['flavor']}) from run {result['run_id']}{alias}")

    def _cmd_drift(self, args) -> None:
        def data(value):
            if value is None:
                return None
            if value.isidentifier() and value in self.shell.user_ns:
                return self.shell.user_ns[value]
            if value.lower().endswith((".csv", ".parquet")):
                return value
            raise MLOpsError(f"{value!r} is neither a variable nor a .csv/.parquet file")

        from ..monitoring.checks import check, compare
        from ..monitoring.render import drift_html

        if args.model is not None:
            result = check(args.model, data(args.current), reference=data(args.reference),
                           report=not args.no_report, source="notebook")
        elif args.reference is None:
            raise MLOpsError("give --model MODEL[@ALIAS], or --reference VAR|FILE to "
                             "compare two datasets (see %mlops --help)")
        else:
            result = compare(data(args.reference), data(args.current),
                             report=not args.no_report, source="notebook")
        from IPython.display import HTML, display

        display(HTML(drift_html(result)))

    # -------------------------------------------------------------- cell magic
    def _track_this_cell(self, args, cell: str):
        notebook = capture.notebook_path(self.shell.user_ns)
        code = self.shell.transform_cell(cell)
        run = self.session.begin_cell(cell, self._current_count(), code=code, name=args.name,
                                      experiment=args.experiment, notebook=notebook)
        error = None
        try:
            return self._execute(code)
        except BaseException as exc:
            error = exc
            raise
        finally:
            self.session.end_cell(run, self.shell.user_ns, error)

    def _current_count(self) -> int:
        # IPython increments the counter before running the cell.
        return max(1, self.shell.execution_count - 1)

    def _execute(self, code: str):
        """Run ``code`` in the user namespace; return its last expression's value."""
        tree = ast.parse(code)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        filename = self.shell.compile.cache(code, self._current_count())
        namespace = self.shell.user_ns
        exec(compile(tree, filename, "exec"), namespace)  # noqa: S102 - it is the user's cell
        if last is not None:
            expression = ast.Expression(last.value)
            return eval(compile(expression, filename, "eval"), namespace)
        return None

    # ------------------------------------------------------------------- hooks
    def pre_run_cell(self, info) -> None:
        """Open a run for the cell about to execute, when a session is active."""
        self._hooked_cell = None
        if not self.session.active or info.silent or not info.store_history:
            return
        source = info.raw_cell or ""
        if source.lstrip().startswith("%%mlops") or _only_mlops_lines(source):
            return
        try:
            code = getattr(info, "transformed_cell", None) or self.shell.transform_cell(source)
            self._hooked_cell = self.session.begin_cell(source, self._current_count(), code=code)
        except MLOpsError as exc:
            print(f"mlops: not tracking this cell: {exc}")

    def post_run_cell(self, result) -> None:
        """Close the cell's run with what it assigned and how it ended."""
        cell, self._hooked_cell = self._hooked_cell, None
        if cell is None or self.session.cell is not cell:
            return
        error = result.error_in_exec or result.error_before_exec
        try:
            self.session.end_cell(cell, self.shell.user_ns, error)
        except MLOpsError as exc:
            print(f"mlops: could not record this cell: {exc}")

    def close(self) -> None:
        """On unload: end the session and flush (briefly) what is queued."""
        self.session.shutdown()


#: The JupyterLab command that opens the Run view (labextension CommandIDs.openRun).
OPEN_RUN_COMMAND = "mlops:open-run"


def _display_status(lines: list[str], run_id: str | None) -> None:
    """The status lines as plain text (terminals) and as HTML in which the session
    run id is a link that opens its Run view (JupyterLab's command linker)."""
    import html
    import json

    from IPython.display import display

    text = "\n".join(lines)
    rendered = html.escape(text)
    if run_id:
        args = html.escape(json.dumps({"runId": run_id}), quote=True)
        link = (f'<a href="#" class="mlops-run-link" '
                f'data-commandlinker-command="{OPEN_RUN_COMMAND}" '
                f"data-commandlinker-args='{args}' title=\"Open the run view\">"
                f"{html.escape(run_id)}</a>")
        rendered = rendered.replace(html.escape(run_id), link)
    display({"text/plain": text, "text/html": f"<pre>{rendered}</pre>"}, raw=True)
