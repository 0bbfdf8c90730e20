"""Alerts that reach people: marts.alerts delivered to a Slack-compatible webhook.

dbt decides everything about an alert (marts.alerts): what it says, its key, and whether the
next delivery sends it (to_send) or records it suppressed (to_suppress: another
alert of the same key went out less than alert_suppression_hours ago, or a later one of the key
goes out in its place). This module only posts and records: one row in raw.alert_deliveries per
attempt, written right after it, so an alert the webhook accepted is never sent twice and one
it refused is tried again at the next delivery.

Configured by the environment: VIGIE_ALERT_WEBHOOK_URL (unset: nothing is sent, nothing is
recorded) and VIGIE_ALERT_TIMEOUT_SECONDS (default 10).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

import pandas as pd

from orchestration.assets.io import append_frame, read_frame, utc_now
from orchestration.warehouse import Warehouse, WarehouseError

WEBHOOK_URL_ENV = "VIGIE_ALERT_WEBHOOK_URL"
TIMEOUT_ENV = "VIGIE_ALERT_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 10.0
SEVERITY_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:"}

# marts.alerts says what to do as of its build; an alert handled since (sent or suppressed by an
# earlier delivery before the next build) is not handled twice: the guard that makes a re-run
# send nothing, not a rule.
PENDING_SQL = """
select alert_id, alert_key, alert_kind, check_name, severity, model_name, model_version,
       window_date, subject, message, delivery_status
from marts.alerts
where delivery_status in ('to_send', 'to_suppress')
  and alert_id not in (select alert_id from raw.alert_deliveries
                       where delivery_status in ('sent', 'suppressed'))
order by raised_at, alert_id
"""


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls) -> WebhookSettings | None:
        """The webhook of the environment, or None when VIGIE_ALERT_WEBHOOK_URL is unset."""
        url = os.environ.get(WEBHOOK_URL_ENV, "").strip()
        if not url:
            return None
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{WEBHOOK_URL_ENV} must be an http(s) URL, got {url!r}")
        raw_timeout = os.environ.get(TIMEOUT_ENV, "").strip()
        try:
            timeout = float(raw_timeout) if raw_timeout else DEFAULT_TIMEOUT_SECONDS
        except ValueError:
            raise ValueError(f"{TIMEOUT_ENV} must be a number of seconds, "
                             f"got {raw_timeout!r}") from None
        if not timeout > 0:
            raise ValueError(f"{TIMEOUT_ENV} must be positive, got {raw_timeout!r}")
        return cls(url=url, timeout_seconds=timeout)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int
    suppressed: int
    errors: tuple[str, ...] = ()


def slack_body(alert: dict) -> dict:
    """The webhook's JSON: Slack's incoming-webhook shape (`text`, plus one mrkdwn section),
    which Mattermost, Rocket.Chat and Teams' Slack-compatible hooks also take."""
    version = f" {alert['model_version']}" if alert.get("model_version") else ""
    title = (f"{SEVERITY_EMOJI.get(alert['severity'], '')} Vigie {alert['severity']}: "
             f"{alert['alert_kind']} · {alert['model_name']}{version} · {alert['window_date']}")
    text = f"{title.strip()}\n{alert['message']}"
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        "vigie": {key: str(alert[key]) if alert.get(key) is not None else None
                  for key in ("alert_id", "alert_kind", "check_name", "severity",
                              "model_name", "model_version", "window_date", "subject")},
    }


def post_json(url: str, body: dict, timeout: float) -> tuple[int | None, str]:
    """POST the body; return (HTTP status, detail). A network error has status None."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"{type(error).__name__}: {reason}"


def pending_alerts(warehouse: Warehouse) -> pd.DataFrame:
    if not warehouse.table_exists("marts", "alerts"):
        raise WarehouseError("marts.alerts does not exist yet: run `vigie build` first")
    return read_frame(warehouse, PENDING_SQL)


def record(warehouse: Warehouse, alert: dict, status: str, http_status: int | None,
           detail: str) -> None:
    frame = pd.DataFrame([{"alert_id": alert["alert_id"], "alert_key": alert["alert_key"],
                           "attempted_at": utc_now(), "delivery_status": status,
                           "http_status": http_status, "detail": detail[:500]}])
    frame["http_status"] = frame["http_status"].astype("Int32")
    with warehouse.connect() as conn:
        append_frame(conn, warehouse.target, "raw.alert_deliveries", frame)


def deliver_alerts(warehouse: Warehouse, settings: WebhookSettings) -> DeliveryReport:
    """Send every to_send alert, record every to_suppress one, each recorded as it is done."""
    sent = failed = suppressed = 0
    errors = []
    for alert in pending_alerts(warehouse).to_dict("records"):
        if alert["delivery_status"] == "to_suppress":
            record(warehouse, alert, "suppressed", None, "")
            suppressed += 1
            continue
        status, detail = post_json(settings.url, slack_body(alert), settings.timeout_seconds)
        if status is not None and 200 <= status < 300:
            record(warehouse, alert, "sent", status, "")
            sent += 1
        else:
            record(warehouse, alert, "failed", status, detail)
            failed += 1
            errors.append(f"{alert['alert_id']}: {detail}")
    return DeliveryReport(sent, failed, suppressed, tuple(errors))
