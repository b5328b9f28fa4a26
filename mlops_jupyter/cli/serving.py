"""``mlops serve MODEL[@ALIAS]``: a model endpoint that follows its alias.

The command checks its arguments and the model's aliases (unknown: one line, exit
2, before any port is bound), takes the token from ``$MLOPS_SERVE_TOKEN`` or makes
one (printed once), and runs uvicorn with the factory
``mlops_jupyter.serving.app:create_app`` in ``--workers`` processes sharing the
port. Settings reach the workers in ``$MLOPS_SERVE_SETTINGS`` (never the token,
which travels in ``$MLOPS_SERVE_TOKEN``). SIGTERM/SIGINT stop it gracefully: in-flight
requests finish, the inference log is flushed, the state files go; exit 0.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

APP = "mlops_jupyter.serving.app:create_app"
READY_TIMEOUT_S = 300.0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _model_and_alias(reference: str) -> tuple[str, str]:
    from .. import names
    from ..exceptions import UsageError

    name, _, alias = reference.strip().partition("@")
    if "/" in name:
        raise UsageError("serve an alias (MODEL@ALIAS), not a fixed version: the endpoint "
                         "follows the alias")
    return names.check_model_name(name), names.check_alias(alias or "champion")


def _token() -> tuple[str, bool]:
    from .. import config
    from ..dashboards.serve import generate_token, validate_token

    given = os.environ.get(config.SERVE_TOKEN_ENV)
    if given:
        return validate_token(given), False
    return generate_token(), True


def _announce_when_ready(settings, info: dict, versions: dict, stopping: threading.Event):
    import urllib.request

    from ..serving import endpoints

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    url = f"http://{host}:{settings.port}/health"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stopping.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        stopping.wait(0.05)
    else:
        return
    endpoints.write_endpoint({**info, "started": time.time()})
    line = f"serving {settings.model}@{settings.alias} version {versions['champion']} " \
           f"at {info['url']}"
    if settings.challenger:
        line += f" (challenger {settings.challenger} version {versions['challenger']}, " \
                f"split {settings.split})"
    if settings.shadow:
        line += f" (shadow {settings.shadow} version {versions['shadow']})"
    print(line, flush=True)


def cmd_serve(args) -> int:
    """Serve a registered model's alias over HTTP until SIGTERM/SIGINT."""
    from .. import config
    from ..exceptions import UsageError
    from ..serving import endpoints
    from ..serving.settings import SETTINGS_ENV, Settings

    model, alias = _model_and_alias(args.model)
    if not _loopback(args.host):
        if not args.host_given:
            raise UsageError("refusing a non-loopback host without --host")
        print(f"mlops serve: warning: listening on {args.host}: the endpoint is exposed "
              "beyond this machine (token required on every route but /health)",
              file=sys.stderr, flush=True)
    settings = Settings(
        model=model, alias=alias, challenger=args.challenger, split=args.split or 0.0,
        shadow=args.shadow, host=args.host, port=args.port, workers=args.workers,
        max_batch=args.max_batch, max_wait_ms=args.max_wait_ms,
        body_limit_mb=args.body_limit_mb, log=not args.no_log, log_url=args.log_url,
        flush_interval=args.flush_interval, poll_interval=args.poll_interval,
        seed=args.seed, endpoint_id=endpoints.endpoint_id(model, args.port)).check()
    token, generated = _token()

    # No cyclic collections while MLflow, scikit-learn and the models are imported
    # and loaded (~0.5 s of the start): the app's startup collects once, freezes what
    # is loaded and turns the collector back on (serving.app). With several workers
    # this process only supervises them: back on once the versions are known.
    gc.disable()
    try:
        from ..serving.models import warm_up

        warm_up()  # before MLflow is imported: see there
        from ..registry import common

        versions = {role: str(common.resolve_reference(model, role_alias).version)
                    for role, role_alias in settings.roles().items()}
    except BaseException:
        gc.enable()
        raise
    if settings.workers > 1:
        gc.enable()
    shown = f"[{args.host}]" if ":" in args.host else args.host
    info = {"model": model, "alias": alias, "challenger": settings.challenger,
            "split": settings.split, "shadow": settings.shadow, "host": settings.host,
            "port": settings.port, "url": f"http://{shown}:{settings.port}",
            "pid": os.getpid(), "workers": settings.workers,
            "log_url": settings.resolved_log_url() if settings.log else None}
    if generated:
        print(f"token: {token}", flush=True)

    metrics_dir = tempfile.mkdtemp(prefix="mlops-serve-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    os.environ[SETTINGS_ENV] = settings.to_env()
    os.environ[config.SERVE_TOKEN_ENV] = token
    stopping = threading.Event()
    signals = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        # uvicorn re-raises the signal it handled once it has stopped: ours then only
        # notes it, so the cleanup below runs and the exit code is 0.
        signals[signum] = signal.signal(signum, lambda *_: stopping.set())
    announcer = threading.Thread(target=_announce_when_ready, name="mlops-serve-ready",
                                 args=(settings, info, versions, stopping), daemon=True)
    announcer.start()
    code = 0
    try:
        import uvicorn

        uvicorn.run(APP, factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers if settings.workers > 1 else None,
                    log_level="warning", access_log=False, server_header=False,
                    timeout_graceful_shutdown=30, lifespan="on")
    except SystemExit as exc:
        if exc.code not in (0, None):
            print("mlops: error: the endpoint did not start (see above)", file=sys.stderr)
            code = 1
    finally:
        stopping.set()
        endpoints.remove_endpoint(settings.endpoint_id)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    if code == 0:
        print("mlops serve: stopped", flush=True)
    return code


class _HostAction(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.host_given = True


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def add_commands(commands) -> None:
    """Add ``serve`` to the ``mlops`` subparsers ``commands``."""
    serve = commands.add_parser(
        "serve", help="serve a model alias over HTTP (MLflow's scoring protocol)",
        description="Serve MODEL@ALIAS (default alias champion) on POST /invocations "
        "with MLflow's scoring protocol; the endpoint follows the alias as it moves. "
        "A bearer token is required on every route but /health and /ping: "
        "$MLOPS_SERVE_TOKEN, else one is generated and printed once.")
    serve.add_argument("model", metavar="MODEL[@ALIAS]")
    serve.add_argument("--host", default="127.0.0.1", action=_HostAction,
                       help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    ab = serve.add_mutually_exclusive_group()
    ab.add_argument("--challenger", metavar="ALIAS",
                    help="A/B: this alias answers --split of the requests")
    ab.add_argument("--shadow", metavar="ALIAS",
                    help="this alias predicts a copy of every request (logged, not answered)")
    serve.add_argument("--split", type=_fraction, default=None,
                       help="fraction of requests for the challenger (0 < F < 1)")
    serve.add_argument("--workers", type=int, default=1,
                       help="processes sharing the port (default 1)")
    serve.add_argument("--max-batch", type=int, default=64,
                       help="rows per predict call at most (default 64)")
    serve.add_argument("--max-wait-ms", type=float, default=2.0,
                       help="how long a batch waits for more requests (default 2)")
    serve.add_argument("--body-limit-mb", type=float, default=5.0,
                       help="largest request body (default 5 MB; larger: 413)")
    serve.add_argument("--no-log", action="store_true", help="no inference log")
    serve.add_argument("--log-url", help="inference log location (default "
                       "$MLOPS_INFERENCE_LOG_URL or <home>/inference)")
    serve.add_argument("--flush-interval", type=float, default=1.0,
                       help="seconds between inference log writes (default 1)")
    serve.add_argument("--poll-interval", type=float, default=1.0,
                       help="seconds between alias checks (default 1)")
    serve.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(func=cmd_serve, host_given=False)
