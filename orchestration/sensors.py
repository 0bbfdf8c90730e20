"""Triggers of the retraining job: drift past retrain_drift_share, or enough new labels."""


import json

import dagster as dg
import pandas as pd

from models_ml.simulate import MODEL_NAME
from orchestration.assets.io import read_frame
from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG
from orchestration.resources import WarehouseResource
from orchestration.seed_config import thresholds
from orchestration.warehouse import Warehouse

RETRAINING_JOB = "retraining"
NO_DRIFT_SUMMARY = "marts.drift_summary does not exist yet: run the monitoring job first"


def drifted_days(wh: Warehouse, share: float, after: str | None) -> pd.DataFrame:
    """Days × versions of marts.drift_summary whose drift share reached `share`, after a day."""
    return read_frame(wh, "select window_date, model_name, model_version, drift_share, status, "
                          "drifted_features from marts.drift_summary where drift_share >= :s "
                          "and window_date > :d order by window_date",
                      {"s": share, "d": pd.Timestamp(after or "1900-01-01").date()})


def drift_trigger(wh: Warehouse, cursor: str | None) -> tuple[dg.RunRequest | None, str | None]:
    """A retraining request for the days past the cursor whose drift share reached the bound."""
    if not wh.table_exists("marts", "drift_summary"):
        return None, cursor
    share = thresholds(wh.config.project_dir)["retrain_drift_share"]
    days = drifted_days(wh, share, cursor)
    if days.empty:
        return None, cursor
    first, last = days.iloc[0], days.iloc[-1]
    reason = (f"drift share {first['drift_share']:.2f} >= retrain_drift_share {share:.2f} "
              f"from {first['window_date']} ({first['status']}: {first['drifted_features']}); "
              f"{len(days)} day(s) up to {last['window_date']}")
    newest = str(pd.Timestamp(last["window_date"]).date())
    request = dg.RunRequest(run_key=f"drift:{MODEL_NAME}:{newest}",
                            tags={TRIGGER_TAG: "drift", REASON_TAG: reason[:250]})
    return request, newest


def last_labels_as_of(wh: Warehouse, model_name: str) -> str | None:
    """The label cut-off of the latest retraining (None when no version was trained here)."""
    details = read_frame(wh, "select details from raw.model_registry where model_name = :m and "
                             "event = 'registered' and details is not null "
                             "order by recorded_at desc", {"m": model_name})
    for text in details["details"]:
        value = json.loads(text).get("labels_as_of")
        if value:
            return value
    return None


def labels_trigger(wh: Warehouse) -> dg.RunRequest | None:
    """A retraining request when retrain_min_new_labels labels arrived since the last training."""
    minimum = thresholds(wh.config.project_dir)["retrain_min_new_labels"]
    as_of = last_labels_as_of(wh, MODEL_NAME)
    new = wh.scalar("select count(*) from raw.feedback as f inner join raw.predictions as p on "
                    "f.prediction_id = p.prediction_id where p.model_name = :m and "
                    "f.kind = 'label' and f.outcome is not null and f.received_at > :t",
                    {"m": MODEL_NAME, "t": pd.Timestamp(as_of or "1900-01-01").to_pydatetime()})
    if new < minimum:
        return None
    since = f"since the training on labels up to {as_of}" if as_of else "and no retraining yet"
    reason = f"{new:,} new labels >= retrain_min_new_labels {minimum:,.0f} {since}"
    return dg.RunRequest(run_key=f"labels:{MODEL_NAME}:{as_of or 'never'}",
                         tags={TRIGGER_TAG: "new_labels", REASON_TAG: reason[:250]})


@dg.sensor(job_name=RETRAINING_JOB, minimum_interval_seconds=300,
           description="Retrain when a day's drift share in marts.drift_summary reaches "
                       "retrain_drift_share (seeds/thresholds.csv)")
def drift_retraining_sensor(context: dg.SensorEvaluationContext,
                            warehouse: WarehouseResource) -> dg.SensorResult | dg.SkipReason:
    request, cursor = drift_trigger(warehouse.warehouse(), context.cursor)
    if request is None:
        return dg.SkipReason("no day reached retrain_drift_share since the last trigger")
    context.log.info(f"requesting retraining: {request.tags[REASON_TAG]}")
    return dg.SensorResult(run_requests=[request], cursor=cursor)


@dg.sensor(job_name=RETRAINING_JOB, minimum_interval_seconds=300,
           description="Retrain when retrain_min_new_labels labels arrived since the last "
                       "training (seeds/thresholds.csv)")
def new_labels_sensor(context: dg.SensorEvaluationContext,
                      warehouse: WarehouseResource) -> dg.SensorResult | dg.SkipReason:
    request = labels_trigger(warehouse.warehouse())
    if request is None:
        return dg.SkipReason("not enough new labels since the last training")
    context.log.info(f"requesting retraining: {request.tags[REASON_TAG]}")
    return dg.SensorResult(run_requests=[request])
