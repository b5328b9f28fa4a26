"""What every ``mlops`` command module shares: the parser class, output and time."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from ..exceptions import UsageError


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (a :class:`UsageError`), no usage dump."""

    def error(self, message: str):
        raise UsageError(f"{message} (see {self.prog} --help)")


def print_result(data: Any, as_json: bool, render: Callable[[Any], str]) -> None:
    """Print ``data`` as indented JSON (``--json``), else the text ``render(data)`` makes."""
    print(json.dumps(data, indent=2, default=str) if as_json else render(data))


def add_group(commands, name: str, text: str):
    """A command with actions (``mlops NAME ACTION``); returns its subparsers.

    Args:
        commands: The ``mlops`` subparsers.
        name: The command's name; the action lands in ``args.<name>_command``.
        text: Its one-line help.
    """
    parser = commands.add_parser(name, help=text)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION",
                                 parser_class=Parser, required=True)


def add_json_flag(parser, text: str = "print JSON") -> None:
    """The ``--json`` option of a command that prints data."""
    parser.add_argument("--json", action="store_true", help=text)


def relative_time(iso: str | None) -> str:
    """``in 5 min`` / ``2 h ago`` for an ISO time, ``-`` for none."""
    from ..scheduling.humanize import relative

    return relative(iso) if iso else "-"
