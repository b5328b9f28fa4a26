"""``mlops dashboard publish|list|serve``: the command-line side of the dashboards.

Added to the ``mlops`` parser by :func:`add_commands`; errors are
:class:`~mlops_jupyter.exceptions.MLOpsError` s, which ``mlops`` prints as one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_group, add_json_flag, print_result


def cmd_publish(args) -> int:
    """Write the parameterised dashboard notebook(s) of a model."""
    from ..dashboards import publish

    publish.validate_template(args.template)
    if args.template == publish.ALL:
        paths = publish.publish_all(args.model, args.out)
    else:
        paths = [publish.publish(args.model, args.template, args.out)]
    folder = paths[0].parent
    data = {"model": args.model, "folder": str(folder), "files": [path.name for path in paths]}
    serve_hint = "mlops dashboard serve" + ("" if args.out is None else f" {folder}")
    print_result(data, args.json, lambda d: "\n".join(
        [f"published {path.name} in {folder}" for path in paths]
        + [f"serve them: {serve_hint}"]))
    return 0


def cmd_list(args) -> int:
    """Published dashboards of a folder."""
    from ..dashboards import publish

    def render(items) -> str:
        if not items:
            return "no dashboards published (mlops dashboard publish MODEL)"
        lines = [f"{'MODEL':24} {'TEMPLATE':10} {'PUBLISHED':26} FILE"]
        lines += [f"{item['model']:24} {item['template']:10} {item['published'] or '-':26} "
                  f"{item['file']}" for item in items]
        return "\n".join(lines)

    print_result(publish.list_dashboards(args.dir), args.json, render)
    return 0


def cmd_serve(args) -> int:
    """Serve a folder of dashboards with Voila, token required."""
    from ..dashboards import publish, serve

    directory = Path(args.dir) if args.dir else publish.dashboards_dir()
    options = serve.ServeOptions(
        directory=directory, host=args.host, port=args.port, token=args.token,
        max_kernels=args.max_kernels, idle_timeout=args.idle_timeout,
        execution_timeout=args.timeout, base_url=args.base_url)
    return serve.serve(options, announce=lambda line: print(line, flush=True))


def _positive(text: str) -> int:
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def add_commands(commands) -> None:
    """Add ``dashboard publish|list|serve`` to the ``mlops`` subparsers ``commands``."""
    from ..dashboards.publish import ALL, TEMPLATES
    from ..dashboards.serve import DEFAULT_HOST, DEFAULT_PORT, TOKEN_ENV

    actions = add_group(commands, "dashboard",
                        "Voila dashboards for stakeholders: publish, list, serve")

    pub = actions.add_parser(
        "publish", help="write a model's dashboard notebook",
        description="Write a parameterised dashboard notebook (model name, tracking URI) "
                    "from a template shipped with mlops-jupyter. Templates: "
                    + "; ".join(f"{name}: {text}" for name, text in TEMPLATES.items()))
    pub.add_argument("model", help="registered model name")
    pub.add_argument("--template", default="drift", choices=[*TEMPLATES, ALL],
                     help="which dashboard (default drift; all: every one)")
    pub.add_argument("--out", metavar="DIR",
                     help="folder to write to (default: <home>/dashboards)")
    add_json_flag(pub)
    pub.set_defaults(func=cmd_publish)

    listing = actions.add_parser("list", help="published dashboards")
    listing.add_argument("--dir", help="folder (default: <home>/dashboards)")
    add_json_flag(listing)
    listing.set_defaults(func=cmd_list)

    srv = actions.add_parser(
        "serve", help="serve dashboards with Voila (token required)",
        description="Start Voila on a folder of published dashboards: token required "
                    "(generated and printed once unless --token or $" + TOKEN_ENV +
                    " is given), ?template=/?theme= ignored, no files served, a "
                    "timeout per cell, idle kernels culled, at most --max-kernels "
                    "page views at once (503 beyond). Ctrl-C stops it.")
    srv.add_argument("dir", nargs="?", help="folder (default: <home>/dashboards)")
    srv.add_argument("--host", default=DEFAULT_HOST,
                     help=f"interface to listen on (default {DEFAULT_HOST}; behind a "
                          "reverse proxy for a team)")
    srv.add_argument("--port", type=_positive, default=DEFAULT_PORT,
                     help=f"port (default {DEFAULT_PORT}; 0: a free one)")
    srv.add_argument("--token", help=f"the token readers need (default: ${TOKEN_ENV}, "
                                     "else a generated one)")
    srv.add_argument("--max-kernels", type=_positive, default=8, metavar="N",
                     help="dashboards shown at once (default 8)")
    srv.add_argument("--idle-timeout", type=_positive, default=900, metavar="S",
                     help="cull a dashboard's kernel after S idle seconds (default 900)")
    srv.add_argument("--timeout", type=_positive, default=60, metavar="S",
                     help="seconds a dashboard cell may run (default 60)")
    srv.add_argument("--base-url", default="/", metavar="PATH",
                     help="URL prefix behind a reverse proxy, e.g. /dashboards/")
    srv.set_defaults(func=cmd_serve)

