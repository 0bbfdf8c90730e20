"""Triggers of the retraining job, decided from materialization metadata (never by opening the
warehouse from the daemon): a day's drift share reaching retrain_drift_share, or
retrain_min_new_labels labelled predictions since the last request (seeds/thresholds.csv).

The dbt step puts the numbers on the materializations (assets/dbt_metadata.py):
marts/drift_summary carries `drift_share_by_day`, intermediate/int_labels_latest carries
`n_labelled_by_model`.
"""

from __future__ import annotations

import json

import dagster as dg

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG
from orchestration.jobs import retraining_job
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


SENSORS = [drift_retraining_sensor, new_labels_sensor]
