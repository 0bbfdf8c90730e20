"""The alert delivery step as a Dagster asset: marts.alerts to the webhook of
VIGIE_ALERT_WEBHOOK_URL (orchestration/alerting.py), recorded in raw.alert_deliveries. The
alert_delivery_sensor (orchestration/sensors.py) requests it when a mart that raises alerts
was materialized again."""


import dagster as dg

from orchestration.alerting import WEBHOOK_URL_ENV, WebhookSettings, deliver_alerts
from orchestration.assets.keys import ALERT_DELIVERIES_KEY, ALERTS_GROUP
from orchestration.resources import WarehouseResource


def build_alert_deliveries_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The delivery asset, downstream of marts.alerts (the view it reads)."""

    @dg.asset(key=ALERT_DELIVERIES_KEY, group_name=ALERTS_GROUP, deps=upstream,
              kinds={"python"},
              description="raw.alert_deliveries: the alerts of marts.alerts marked to_send, "
                          f"posted to ${WEBHOOK_URL_ENV} (Slack-compatible JSON), and those "
                          "marked to_suppress, recorded; nothing without the variable")
    def alert_deliveries(context: dg.AssetExecutionContext,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
        settings = WebhookSettings.from_env()
        if settings is None:
            context.log.info(f"{WEBHOOK_URL_ENV} is not set: no alert sent or recorded")
            return dg.MaterializeResult(metadata={"webhook": "not configured", "sent": 0})
        report = deliver_alerts(warehouse.warehouse(), settings)
        context.log.info(f"alerts: {report.sent} sent, {report.suppressed} suppressed, "
                         f"{report.failed} failed")
        if report.failed:
            # recorded first, so the next delivery tries them again and the sent stay sent
            raise dg.Failure(description=f"{report.failed} alert(s) not delivered: "
                                         + "; ".join(report.errors[:3]))
        return dg.MaterializeResult(metadata={"webhook": "configured", "sent": report.sent,
                                              "suppressed": report.suppressed})

    return alert_deliveries
