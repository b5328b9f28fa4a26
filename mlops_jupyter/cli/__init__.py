"""The ``mlops`` command: thin over the same services the magics and server use.

Every command has ``--help``, prints one line ``mlops: error: ...`` and exits 2 on
bad input or 1 on other failures, and offers ``--json`` where it prints data. Each
domain's commands live in a module of their own that adds them with
``add_commands(subparsers)``; this module holds the parser's skeleton and
:func:`main`.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..exceptions import MLOpsError, NotFoundError, UsageError
from . import (
    dashboards,
    demo,
    deployments,
    drift,
    models,
    pipelines,
    runs,
    schedules,
    serving,
    tracking,
)
from .common import Parser, print_result

__all__ = ["build_parser", "main", "print_result"]

#: The command modules, in the order ``mlops --help`` lists their commands.
COMMAND_MODULES = (tracking, runs, pipelines, schedules, models, drift, dashboards, serving,
                   deployments, demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``mlops`` parser with every domain's commands."""
    parser = Parser(prog="mlops", description="Notebook-native MLOps on MLflow "
                    "(tracking store: $MLFLOW_TRACKING_URI or the embedded SQLite store "
                    "in $MLOPS_JUPYTER_HOME, default ~/.mlops-jupyter).")
    parser.add_argument("--version", action="version", version=f"mlops-jupyter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``mlops ARGS``; returns the exit code (2 bad input, 1 failure, 130 Ctrl-C)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except (UsageError, NotFoundError) as exc:  # bad input
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 2
    except MLOpsError as exc:
        print(f"mlops: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mlops: interrupted", file=sys.stderr)
        return 130
