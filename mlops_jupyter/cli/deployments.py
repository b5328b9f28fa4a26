"""``mlops deployments list|stop``: the running model endpoints (``mlops serve``).

Added to the ``mlops`` parser by :func:`add_commands`; thin over
:mod:`mlops_jupyter.serving.deployments`, which reads the endpoints' state files (no
token, no model loaded).
"""

from __future__ import annotations

from typing import Any

from .common import add_group, add_json_flag, print_result


def _number(value: Any, unit: str = "", digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def _versions(item: dict[str, Any]) -> str:
    parts = []
    for role, served in (item.get("versions") or {}).items():
        parts.append(f"{role}=@{served.get('alias')} v{served.get('version')}")
    return " ".join(parts) or "loading"


def render_list(items: list[dict[str, Any]]) -> str:
    """The running endpoints as a table, with their last error underneath."""
    if not items:
        return "no running endpoints (mlops serve MODEL@ALIAS)"
    lines = [f"{'ID':28} {'URL':24} {'REQ/S':>7} {'P50':>8} {'P95':>8} {'ERR':>6}  VERSIONS"]
    for item in items:
        stats = (item.get("stats") or {}).get("all") or {}
        rate = stats.get("error_rate")
        lines.append(
            f"{item['id']:28} {item.get('url') or '-':24} {_number(stats.get('rps'), '', 1):>7} "
            f"{_number(stats.get('p50_ms'), 'ms'):>8} {_number(stats.get('p95_ms'), 'ms'):>8} "
            f"{'-' if rate is None else f'{rate:.1%}':>6}  {_versions(item)}")
        if item.get("challenger"):
            lines.append(f"{'':28} A/B: {item['split']:.0%} of requests to "
                         f"@{item['challenger']}")
        if item.get("shadow"):
            lines.append(f"{'':28} shadow: @{item['shadow']}")
        if item.get("last_error"):
            lines.append(f"{'':28} last error: {item['last_error']}")
    return "\n".join(lines)


def cmd_list(args) -> int:
    """The running endpoints with their versions and live stats."""
    from ..serving import deployments

    print_result(deployments.list_deployments(), args.json, render_list)
    return 0


def cmd_stop(args) -> int:
    """Stop one endpoint gracefully (its inference log is flushed)."""
    from ..serving import deployments

    result = deployments.stop(args.id)
    print_result(result, args.json, lambda r: f"stopped {r['id']}" if r["stopped"]
                 else f"{r['id']} had already ended; forgotten")
    return 0


def add_commands(commands) -> None:
    """Add ``mlops deployments list|stop`` to the ``mlops`` subparsers."""
    actions = add_group(commands, "deployments",
                        "running model endpoints (mlops serve): list, stop")
    listing = actions.add_parser("list", help="running endpoints: versions, requests/s, "
                                 "latency, error rate")
    add_json_flag(listing)
    listing.set_defaults(func=cmd_list)
    stopping = actions.add_parser("stop", help="stop an endpoint (SIGTERM: the inference "
                                  "log is flushed)")
    stopping.add_argument("id", help="the endpoint id, as `mlops deployments list` shows it")
    add_json_flag(stopping)
    stopping.set_defaults(func=cmd_stop)
