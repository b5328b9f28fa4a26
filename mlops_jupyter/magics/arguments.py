"""Parsing of ``%mlops`` command lines into validated arguments."""

from __future__ import annotations

import argparse
import ast
import shlex
from typing import Any

from ..exceptions import UsageError

USAGE = """\
%mlops track [--experiment NAME]   track every following cell as one MLflow run
%mlops stop                        end tracking (keeps a notebook snapshot)
%mlops status                      store, experiment, runs and pending events
%mlops log KEY=VALUE ...           numbers become metrics, anything else params
%mlops snapshot                    save the notebook file to the session run now
%mlops flush [--timeout S]         wait until every event reached the store
%mlops register VAR --name MODEL [--alias A] [--input-example VAR] [--reason TEXT]
                                   log the model in VAR into this run, register it
%mlops drift --model MODEL[@ALIAS] --current VAR|FILE [--reference VAR|FILE] [--no-report]
                                   drift of a DataFrame (or file) vs the model's reference
%mlops drift --reference VAR|FILE --current VAR|FILE [--no-report]
                                   drift between two DataFrames (or files), no model
%%mlops track [--name NAME] [--experiment NAME]
                                   track just this cell as one run"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting the kernel."""

    def error(self, message: str):
        raise UsageError(f"{message} (see %mlops --help)")

    def exit(self, status: int = 0, message: str | None = None):
        raise UsageError((message or "").strip() or "see %mlops --help")


def _build_parser() -> _Parser:
    parser = _Parser(prog="%%mlops", add_help=False, usage=USAGE.replace("%", "%%"))
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    track = commands.add_parser("track", add_help=False)
    track.add_argument("--experiment", "-e")
    track.add_argument("--name", "-n")
    commands.add_parser("stop", add_help=False)
    commands.add_parser("status", add_help=False)
    commands.add_parser("snapshot", add_help=False)
    flush = commands.add_parser("flush", add_help=False)
    flush.add_argument("--timeout", type=float, default=30.0)
    log = commands.add_parser("log", add_help=False)
    log.add_argument("pairs", nargs="*")
    register = commands.add_parser("register", add_help=False)
    register.add_argument("var")
    register.add_argument("--name", required=True)
    register.add_argument("--alias")
    register.add_argument("--input-example", dest="input_example")
    register.add_argument("--reason")
    drift = commands.add_parser("drift", add_help=False)
    drift.add_argument("--model")
    drift.add_argument("--current", required=True)
    drift.add_argument("--reference")
    drift.add_argument("--no-report", dest="no_report", action="store_true")
    commands.add_parser("help", add_help=False)
    return parser


_PARSER = _build_parser()


def parse(line: str) -> argparse.Namespace:
    """Parse a ``%mlops`` line.

    Raises:
        UsageError: unknown subcommand or option, unbalanced quotes.
    """
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot parse {line!r}: {exc}") from None
    if not words or words[0] in ("-h", "--help", "help") or "--help" in words or "-h" in words:
        return argparse.Namespace(command="help")
    if words[0].startswith("-") or words[0] not in _PARSER._subparsers._group_actions[0].choices:
        raise UsageError(f"unknown subcommand {words[0]!r}; expected one of track, stop, "
                         "status, log, snapshot, flush, register, drift (see %mlops --help)")
    return _PARSER.parse_args(words)


def parse_pairs(pairs: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Turn ``KEY=VALUE`` words into values.

    A VALUE is a Python literal (``0.93``, ``'rbf'``, ``True``), else the name of a
    variable in the notebook, else plain text.

    Raises:
        UsageError: a word without ``=``, an empty key, no pairs at all.
    """
    if not pairs:
        raise UsageError("nothing to log: use %mlops log KEY=VALUE [KEY=VALUE ...]")
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"malformed pair {pair!r}: expected KEY=VALUE")
        values[key] = _value(text.strip(), namespace)
    return values


def _value(text: str, namespace: dict[str, Any]) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        pass
    if text.isidentifier() and text in namespace:
        return namespace[text]
    return text
