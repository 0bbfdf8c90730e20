"""Triggers of the retraining job, decided from materialization metadata (never by opening the
warehouse from the daemon): a day's drift share reaching retrain_drift_share, or
retrain_min_new_labels labelled predictions since the last request (seeds/thresholds.csv); and
a naive candidate blocked for fairness, answered by a mitigated retraining.

The dbt step puts the numbers on the materializations (assets/dbt_metadata.py):
marts/drift_summary carries `drift_share_by_day`, intermediate/int_labels_latest carries
`n_labelled_by_model`.
"""

from __future__ import annotations

import json

import dagster as dg

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.assets.keys import (
    CANDIDATE_MODEL_KEY,
    DECISION_RECORD_KEY,
    PROMOTION_DECISION_KEY,
    REASON_TAG,
    TRIGGER_TAG,
)
from orchestration.assets.training import MITIGATED, NAIVE, candidate_model
from orchestration.jobs import alert_delivery_job, retraining_job
from orchestration.seed_config import thresholds
from orchestration.warehouse import WarehouseConfig

DRIFT_METADATA = "drift_share_by_day"
LABELS_METADATA = "n_labelled_by_model"


def latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, name: str):
    """One metadata value of the asset's latest materialization (None when there is none)."""
    event = instance.get_latest_materialization_event(key)
    materialization = event.asset_materialization if event else None
    if materialization is None or name not in materialization.metadata:
        return None
    return materialization.metadata[name].value


def drift_trigger(days: list[dict], share: float,
                  cursor: str | None) -> tuple[dg.RunRequest | None, str | None]:
    """A retraining request for the days past the cursor whose drift share reached `share`."""
    drifted = sorted((d for d in days if d["drift_share"] is not None
                      and d["drift_share"] >= share and d["window_date"] > (cursor or "")),
                     key=lambda d: d["window_date"])
    if not drifted:
        return None, cursor
    first, last = drifted[0], drifted[-1]
    reason = (f"drift share {first['drift_share']:.2f} >= retrain_drift_share {share:.2f} "
              f"from {first['window_date']} ({first['status']}: {first['drifted_features']}); "
              f"{len(drifted)} day(s) up to {last['window_date']}")
    request = dg.RunRequest(run_key=f"drift:{last['model_name']}:{last['window_date']}",
                            tags={TRIGGER_TAG: "drift", REASON_TAG: reason[:250]})
    return request, last["window_date"]


def labels_trigger(counts: dict[str, int], minimum: float,
                   seen: dict[str, int]) -> tuple[dg.RunRequest | None, dict[str, int]]:
    """A retraining request for the first model with `minimum` labelled predictions more than
    at the previous request (`seen`, the sensor's cursor)."""
    for model_name, count in sorted(counts.items()):
        new = count - seen.get(model_name, 0)
        if new >= minimum:
            since = "since the last request" if model_name in seen else "and no retraining yet"
            reason = (f"{new:,} new labelled predictions >= retrain_min_new_labels "
                      f"{minimum:,.0f} {since}")
            request = dg.RunRequest(run_key=f"labels:{model_name}:{count}",
                                    tags={TRIGGER_TAG: "new_labels", REASON_TAG: reason[:250]})
            return request, {**seen, model_name: count}
    return None, seen


def bound(name: str) -> float:
    return thresholds(WarehouseConfig.from_env().project_dir)[name]


@dg.sensor(job=retraining_job, minimum_interval_seconds=300,
           description="Retrain when a day's drift share in marts.drift_summary reaches "
                       "retrain_drift_share (seeds/thresholds.csv); reads the metadata of the "
                       "latest drift_summary materialization")
def drift_retraining_sensor(context: dg.SensorEvaluationContext
                            ) -> dg.SensorResult | dg.SkipReason:
    days = latest_metadata(context.instance, DRIFT_SUMMARY_KEY, DRIFT_METADATA)
    if days is None:
        return dg.SkipReason("marts/drift_summary has no materialization with drift shares yet")
    request, cursor = drift_trigger(days, bound("retrain_drift_share"), context.cursor)
    if request is None:
        return dg.SkipReason("no day reached retrain_drift_share since the last trigger")
    context.log.info(f"requesting retraining: {request.tags[REASON_TAG]}")
    return dg.SensorResult(run_requests=[request], cursor=cursor)


@dg.sensor(job=retraining_job, minimum_interval_seconds=300,
           description="Retrain when retrain_min_new_labels labelled predictions arrived since "
                       "the last request (seeds/thresholds.csv); reads the metadata of the "
                       "latest int_labels_latest materialization")
def new_labels_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    counts = latest_metadata(context.instance, LABELS_LATEST_KEY, LABELS_METADATA)
    if counts is None:
        return dg.SkipReason("intermediate/int_labels_latest has no materialization yet")
    seen = json.loads(context.cursor) if context.cursor else {}
    request, seen = labels_trigger(counts, bound("retrain_min_new_labels"), seen)
    if request is None:
        return dg.SkipReason("not enough new labelled predictions since the last request")
    context.log.info(f"requesting retraining: {request.tags[REASON_TAG]}")
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen))


# The gate checks that are about fairness: a block on any of them calls for a mitigated retrain
# (a candidate that is merely not better than production, or below the AUC floor, does not).
FAIRNESS_CHECKS = ("four_fifths", "equalized_odds", "sensitive_importance")
BLOCKED = "blocked"


def failed_fairness_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The fairness gate checks that failed in the given run (Dagster's check records)."""
    keys = [dg.AssetCheckKey(PROMOTION_DECISION_KEY, name) for name in FAIRNESS_CHECKS]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    return sorted(key.name for key, record in latest.items()
                  if record.run_id == run_id and record.status.value == "FAILED")


def run_metadata(instance: dg.DagsterInstance, key: dg.AssetKey, run_id: str) -> dict:
    """The metadata values of the asset's latest materialization when that run made it."""
    event = instance.get_latest_materialization_event(key)
    if event is None or event.run_id != run_id or event.asset_materialization is None:
        return {}
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def mitigation_request(decision: dict, candidate: dict, failed: list[str]
                       ) -> dg.RunRequest | None:
    """A mitigated retraining answering the recorded decision, when it blocked a naive
    candidate on a fairness check (a mitigated candidate is not mitigated again)."""
    version = decision.get("candidate_version")
    if (decision.get("decision") != BLOCKED or not failed or not version
            or candidate.get("model_version") != version
            or candidate.get("training_method", NAIVE) != NAIVE):
        return None
    reason = (f"candidate {version} ({NAIVE}) blocked for fairness: {', '.join(failed)} "
              f"failed; a {MITIGATED} retrain answers it on the same held-out rows")
    config = {"training_method": MITIGATED, "answers_version": version}
    return dg.RunRequest(run_key=f"mitigate:{decision.get('evaluation_id', version)}",
                         run_config={"ops": {candidate_model.op.name: {"config": config}}},
                         tags={TRIGGER_TAG: "fairness_block", REASON_TAG: reason[:250]})


@dg.sensor(job=retraining_job, minimum_interval_seconds=60,
           description="Train a mitigated candidate when the promotion decision blocked a naive "
                       "one for a fairness check (four_fifths, equalized_odds, "
                       "sensitive_importance); reads the decision record's materialization, the "
                       "gate checks' results and the candidate's materialization of that run")
def fairness_mitigation_sensor(context: dg.SensorEvaluationContext
                               ) -> dg.SensorResult | dg.SkipReason:
    event = context.instance.get_latest_materialization_event(DECISION_RECORD_KEY)
    if event is None or event.asset_materialization is None:
        return dg.SkipReason("promotion/decision_record has no materialization yet")
    if context.cursor == event.run_id:
        return dg.SkipReason("no promotion decision since the last one handled")
    run_id = event.run_id
    decision = {name: value.value
                for name, value in event.asset_materialization.metadata.items()}
    request = mitigation_request(decision,
                                 run_metadata(context.instance, CANDIDATE_MODEL_KEY, run_id),
                                 failed_fairness_checks(context.instance, run_id))
    if request is None:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            "the latest decision did not block a naive candidate for fairness"),
            cursor=event.run_id)
    context.log.info(f"requesting mitigated retraining: {request.tags[REASON_TAG]}")
    return dg.SensorResult(run_requests=[request], cursor=event.run_id)


# The sensors asked once monitoring has run; the mitigation sensor answers a retraining's
# decision, so it is asked after the retraining run.
# marts.alerts is rebuilt by every monitoring run; a blocked promotion is recorded by a
# retraining run (the decision record), and the delivery job rebuilds marts.alerts first.
ALERTS_KEY = dg.AssetKey(["marts", "alerts"])
ALERT_SOURCE_KEYS = (ALERTS_KEY, DECISION_RECORD_KEY)


def alert_trigger(latest: dict[str, float], seen: dict[str, float]
                  ) -> tuple[dg.RunRequest | None, dict[str, float]]:
    """A delivery request when a watched asset was materialized since the last request
    (`latest` and `seen`: the time of each one's latest materialization, now and then)."""
    changed = sorted(key for key, when in latest.items() if when > seen.get(key, 0))
    if not changed:
        return None, seen
    request = dg.RunRequest(run_key=f"alerts:{max(latest.values()):.6f}",
                            tags={TRIGGER_TAG: "alerts",
                                  REASON_TAG: f"new materialization of {', '.join(changed)}"})
    return request, {**seen, **latest}


@dg.sensor(job=alert_delivery_job, minimum_interval_seconds=60,
           description="Deliver the new alerts of marts.alerts to $VIGIE_ALERT_WEBHOOK_URL after "
                       "a monitoring run (marts.alerts) or a promotion decision (the decision "
                       "record); each alert goes out once "
                       "(raw.alert_deliveries), with alert_suppression_hours between two of "
                       "the same key")
def alert_delivery_sensor(context: dg.SensorEvaluationContext
                          ) -> dg.SensorResult | dg.SkipReason:
    from orchestration.alerting import WEBHOOK_URL_ENV, WebhookSettings

    if WebhookSettings.from_env() is None:
        return dg.SkipReason(f"{WEBHOOK_URL_ENV} is not set: alerts stay in marts.alerts")
    latest = {}
    for key in ALERT_SOURCE_KEYS:
        event = context.instance.get_latest_materialization_event(key)
        if event is not None:
            latest[key.to_user_string()] = event.timestamp
    if ALERTS_KEY.to_user_string() not in latest:
        return dg.SkipReason("marts/alerts is not built yet (the monitoring job builds it)")
    request, seen = alert_trigger(latest, json.loads(context.cursor) if context.cursor else {})
    if request is None:
        return dg.SkipReason("no mart that raises alerts was materialized since the last check")
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen))


SENSORS = [drift_retraining_sensor, new_labels_sensor]
DECISION_SENSORS = [fairness_mitigation_sensor]
ALERT_SENSORS = [alert_delivery_sensor]
