"""Alert rules against a drift check, and the sinks that receive fired alerts.

Sinks: the log (always; also recorded on the check's MLflow run, which is what the
sidebar badge shows) and an optional webhook per rule: a JSON POST over http(s).
Webhook URLs are checked when the rule is read and again, with DNS, right before
sending: loopback, link-local (cloud metadata at 169.254.169.254), private,
multicast and unspecified addresses are refused, redirects are not followed.
Hosts listed in ``MLOPS_WEBHOOK_ALLOW_HOSTS`` (comma-separated) are exempt — for
an in-house receiver on a private network, or a test server on loopback.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from typing import Any
from urllib.parse import urlsplit

from ..exceptions import UsageError

log = logging.getLogger("mlops_jupyter.monitoring")
ALLOW_ENV = "MLOPS_WEBHOOK_ALLOW_HOSTS"
TIMEOUT_S = 5.0
_BLOCKED_NAMES = {"localhost", "localhost.localdomain", "metadata.google.internal",
                  "metadata"}


def _allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in os.environ.get(ALLOW_ENV, "").split(",")
            if host.strip()}


def _refused_address(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    for test, label in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                        (ip.is_private, "private"), (ip.is_multicast, "multicast"),
                        (ip.is_unspecified, "unspecified"), (ip.is_reserved, "reserved")):
        if test:
            return label
    return None


def validate_webhook_url(url: Any, *, resolve: bool = True) -> str:
    """The URL if it may receive alerts, else UsageError saying why.

    Args:
        url: the webhook URL.
        resolve: also resolve the host name and check every address it has.
    """
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise UsageError("webhook: expected an http(s) URL")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"webhook: only http and https URLs are allowed, not "
                         f"{parts.scheme or 'no scheme'!r}")
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise UsageError("webhook: the URL needs a host and no user:password@")
    if host in _allowed_hosts():
        return url.strip()
    if host in _BLOCKED_NAMES or host.endswith(".localhost"):
        raise UsageError(f"webhook: {host} is a local address; alerts go to other hosts "
                         f"(allow it with {ALLOW_ENV})")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else []
    if literal is None and resolve:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise UsageError(f"webhook: cannot resolve {host}") from None
        addresses = sorted({info[4][0] for info in infos})
    for address in addresses:
        why = _refused_address(address)
        if why:
            raise UsageError(f"webhook: {host} is a {why} address ({address}); refused "
                             f"(allow it with {ALLOW_ENV})")
    return url.strip()


def evaluate_rules(rules, result: dict[str, Any], performance: dict[str, float],
                   live: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rules that fire on a check ``result`` (a ``DriftResult.to_dict()``).

    ``live`` is ``inference.logbook.live_stats`` of the window when the current data
    was serving data; the live-health rules never fire without it.
    """
    fired = []
    live = live or {}
    share = result.get("share_of_drifted_columns")
    columns = result.get("columns") or {}
    for rule in rules:
        message = None
        if rule.condition == "drift_share_above" and share is not None and share > rule.value:
            message = f"{share:.0%} of columns drifted (rule: > {rule.value:.0%})"
        elif rule.condition == "column_drifts":
            column = columns.get(rule.value) or {}
            if column.get("drifted"):
                message = (f"column {rule.value!r} drifted ({column.get('method')} "
                           f"{column.get('score'):.4g}, threshold {column.get('threshold')})")
        elif rule.condition == "metric_below":
            metric, bound = next(iter(rule.value.items()))
            actual = performance.get(metric)
            if actual is not None and actual < bound:
                message = f"{metric} {actual:.4g} < {bound:g}"
        elif rule.condition == "latency_p95_above":
            p95 = live.get("p95_ms")
            if p95 is not None and p95 > rule.value:
                message = (f"p95 latency {p95:.4g} ms over {live.get('requests')} requests "
                           f"(rule: > {rule.value:g} ms)")
        elif rule.condition == "error_rate_above":
            rate = live.get("error_rate")
            if rate is not None and live.get("requests") and rate > rule.value:
                message = (f"error rate {rate:.1%} ({live.get('errors')} of "
                           f"{live.get('requests')} requests; rule: > {rule.value:.1%})")
        if message:
            fired.append({"rule": rule.name, "kind": rule.condition, "message": message,
                          "retrain": rule.retrain, "webhook": rule.webhook})
    return fired


def fire(spec, result: dict[str, Any], performance: dict[str, float], run_id: str,
         version: str, source: str | None = None,
         live: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Evaluate ``spec.rules`` on a check and deliver what fires; returns the alerts.

    ``live`` is the window's live stats on serving data. The log gets each alert
    unless the caller shows them to a person itself (``source`` cli, notebook, demo).
    """
    fired = evaluate_rules(spec.rules, result, performance, live)
    payload = {"model": spec.model, "version": version, "check_run_id": run_id,
               "dataset_drift": result.get("dataset_drift"),
               "drift_share": result.get("share_of_drifted_columns"),
               "drifted_columns": [c for c, v in (result.get("columns") or {}).items()
                                   if v.get("drifted")]}
    deliver(fired, payload, log_alerts=source not in ("cli", "notebook", "demo"))
    return fired


def deliver(alerts: list[dict[str, Any]], payload: dict[str, Any], *,
            log_alerts: bool = True) -> None:
    """Log each alert and POST it to its webhook; records the outcome on the alert.

    ``log_alerts=False`` when the caller shows the alerts to a person itself (the
    CLI's lines, the magic's HTML): logged as well, each would appear twice.
    """
    import requests

    for alert in alerts:
        if log_alerts:
            log.warning("ALERT %s on %s v%s: %s", alert["rule"], payload.get("model"),
                        payload.get("version"), alert["message"])
        url = alert.pop("webhook", None)
        if not url:
            continue
        try:
            validate_webhook_url(url)
            response = requests.post(url, json={**payload, "alert": alert},
                                     timeout=TIMEOUT_S, allow_redirects=False)
        except UsageError as error:
            alert["webhook_status"] = f"refused: {error}"
            continue
        except requests.RequestException as error:
            alert["webhook_status"] = f"failed: {type(error).__name__}"
            continue
        if 300 <= response.status_code < 400:
            alert["webhook_status"] = f"failed: redirect {response.status_code} not followed"
        elif response.status_code >= 400:
            alert["webhook_status"] = f"failed: HTTP {response.status_code}"
        else:
            alert["webhook_status"] = f"delivered: HTTP {response.status_code}"
        alert["webhook_host"] = urlsplit(url).hostname
