"""Parsing ``%mlops`` lines: clear errors for bad input."""

import pytest

from mlops_jupyter.exceptions import UsageError
from mlops_jupyter.magics import arguments


def test_track_options():
    args = arguments.parse("track --experiment 'my exp'")
    assert args.command == "track" and args.experiment == "my exp"


@pytest.mark.parametrize("line", ["", "--help", "help", "track --help"])
def test_help(line):
    assert arguments.parse(line).command == "help"


@pytest.mark.parametrize("line, fragment", [
    ("frobnicate", "unknown subcommand 'frobnicate'"),
    ("--experiment x", "unknown subcommand"),
    ("track --bogus", "unrecognized arguments: --bogus"),
    ("track --experiment", "expected one argument"),
    ("log a='unterminated", "cannot parse"),
])
def test_bad_lines_raise_one_line_usage_errors(line, fragment):
    with pytest.raises(UsageError) as info:
        arguments.parse(line)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_pairs_literals_variables_and_text():
    values = arguments.parse_pairs(
        ["acc=0.93", "n=10", "kernel='rbf'", "flag=True", "score=s", "note=hello"],
        {"s": 0.5})
    assert values == {"acc": 0.93, "n": 10, "kernel": "rbf", "flag": True, "score": 0.5,
                      "note": "hello"}


@pytest.mark.parametrize("pairs", [["acc"], ["=3"], []])
def test_malformed_pairs(pairs):
    with pytest.raises(UsageError):
        arguments.parse_pairs(pairs, {})
