"""``mlops demo``: the end-to-end demo on the example notebooks."""

from __future__ import annotations

from pathlib import Path

#: The example notebooks of a source checkout (``--notebooks`` elsewhere).
EXAMPLE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "example_notebooks"


def cmd_demo(args) -> int:
    """Run the example notebooks headless with tracking on, then say where to look."""
    from ..demo import run_demo

    return run_demo(EXAMPLE_NOTEBOOKS if args.notebooks is None else Path(args.notebooks),
                    Path(args.out) if args.out else None, serve=not args.no_serve)


def add_commands(commands) -> None:
    """Add ``demo`` to the ``mlops`` subparsers ``commands``."""
    demo = commands.add_parser("demo", help="run the end-to-end demo on the example notebooks")
    demo.add_argument("--notebooks", help="folder with the example notebooks")
    demo.add_argument("--out", help="folder for executed notebooks (default: home/demo)")
    demo.add_argument("--no-serve", action="store_true",
                      help="publish the dashboards but do not start the Voila server")
    demo.set_defaults(func=cmd_demo)
