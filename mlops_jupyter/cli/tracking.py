"""``mlops info`` and ``mlops spool flush``: where the state is, and events not yet written."""

from __future__ import annotations

from .. import __version__, config
from .common import add_group, add_json_flag, print_result


def cmd_info(args) -> int:
    """Where mlops-jupyter keeps its state."""
    from ..tracking.spool import spooled_event_count

    data = {"version": __version__, "home": str(config.home_dir()),
            "tracking_uri": config.tracking_uri(),
            "spooled_events": spooled_event_count(config.spool_dir())}
    print_result(data, args.json, lambda d: "\n".join(f"{k:15} {v}" for k, v in d.items()))
    return 0


def cmd_spool_flush(args) -> int:
    """Write events left in the spool by exited kernels."""
    from ..tracking.flusher import flush_orphans, quiet_dedicated_process

    quiet_dedicated_process()
    flusher = flush_orphans(config.tracking_uri(), config.spool_dir(), args.timeout)
    data = {"written": flusher.written, "rejected": flusher.rejected,
            "pending": flusher.pending(), "last_error": flusher.last_error}
    print_result(data, args.json, lambda d: (
        f"{d['written']} event(s) written, {d['rejected']} rejected, {d['pending']} pending"
        + (f" ({d['last_error']})" if d["last_error"] else "")))
    return 0 if not data["pending"] else 1


def add_commands(commands) -> None:
    """Add ``info`` and ``spool flush`` to the ``mlops`` subparsers ``commands``."""
    info = commands.add_parser("info", help="show the home directory, store and spool")
    add_json_flag(info)
    info.set_defaults(func=cmd_info)

    spool_commands = add_group(commands, "spool", "tracking events not yet written to the store")
    flush = spool_commands.add_parser("flush", help="write events left by exited kernels")
    flush.add_argument("--timeout", type=float, default=60.0,
                       help="give up after this many seconds (default 60)")
    add_json_flag(flush)
    flush.set_defaults(func=cmd_spool_flush)
