"""The ``mlops`` command: thin over the same services the magics and server use.

Every command has ``--help``, prints one line ``mlops: error: ...`` and exits 2 on
bad input or 1 on other failures, and offers ``--json`` where it prints data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__, config
from .exceptions import MLOpsError, UsageError

EXAMPLE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "example_notebooks"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{message} (see {self.prog} --help)")


def _print(data, as_json: bool, render: Callable[[dict], str]) -> None:
    print(json.dumps(data, indent=2, default=str) if as_json else render(data))


# ------------------------------------------------------------------ commands
def cmd_info(args) -> int:
    """Where mlops-jupyter keeps its state."""
    from .tracking.spool import spooled_event_count

    data = {"version": __version__, "home": str(config.home_dir()),
            "tracking_uri": config.tracking_uri(),
            "spooled_events": spooled_event_count(config.spool_dir())}
    _print(data, args.json, lambda d: "\n".join(f"{k:15} {v}" for k, v in d.items()))
    return 0


def cmd_spool_flush(args) -> int:
    """Write events left in the spool by exited kernels."""
    from .tracking.flusher import flush_orphans, quiet_dedicated_process

    quiet_dedicated_process()
    flusher = flush_orphans(config.tracking_uri(), config.spool_dir(), args.timeout)
    data = {"written": flusher.written, "rejected": flusher.rejected,
            "pending": flusher.pending(), "last_error": flusher.last_error}
    _print(data, args.json, lambda d: (
        f"{d['written']} event(s) written, {d['rejected']} rejected, {d['pending']} pending"
        + (f" ({d['last_error']})" if d["last_error"] else "")))
    return 0 if not data["pending"] else 1


def cmd_demo(args) -> int:
    """Run the example notebooks headless with tracking on, then say where to look."""
    from .demo import run_demo

    return run_demo(EXAMPLE_NOTEBOOKS if args.notebooks is None else Path(args.notebooks),
                    Path(args.out) if args.out else None)


# -------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlops", description="Notebook-native MLOps on MLflow "
                     "(tracking store: $MLFLOW_TRACKING_URI or the embedded SQLite store "
                     "in $MLOPS_JUPYTER_HOME, default ~/.mlops-jupyter).")
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    info = commands.add_parser("info", help="show the home directory, store and spool")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_info)

    spool = commands.add_parser("spool", help="tracking events not yet written to the store")
    spool_commands = spool.add_subparsers(dest="spool_command", metavar="ACTION",
                                          parser_class=_Parser, required=True)
    flush = spool_commands.add_parser("flush", help="write events left by exited kernels")
    flush.add_argument("--timeout", type=float, default=60.0,
                       help="give up after this many seconds (default 60)")
    flush.add_argument("--json", action="store_true", help="print JSON")
    flush.set_defaults(func=cmd_spool_flush)

    demo = commands.add_parser("demo", help="run the end-to-end demo on the example notebooks")
    demo.add_argument("--notebooks", help="folder with the example notebooks")
    demo.add_argument("--out", help="folder for executed notebooks (default: home/demo)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except UsageError as exc:
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 2
    except MLOpsError as exc:
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mlops: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
