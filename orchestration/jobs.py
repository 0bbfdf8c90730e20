"""The jobs, from asset groups and keys (no asset objects needed): simulate, monitor, retrain.

Every job carries WAREHOUSE_TAG: the instance's run queue (orchestration/instance.py) runs one
such run at a time, since runs append to the same raw tables and rebuild the same incremental
marts. Within a run, the executor follows the target (definitions.executor_for).
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.keys import (
    ALERT_DELIVERIES_KEY,
    CALIBRATION_GROUP,
    CANDIDATE_MODEL_KEY,
    DRIFT_GROUP,
    MARTS_GROUP,
    PRODUCTION_MODEL_KEY,
    PROMOTION_GROUP,
    RAW_GROUP,
    RAW_TRAFFIC_KEYS,
    STAGING_GROUP,
    TRAINING_GROUP,
)

SIMULATION_JOB = "simulation"
MONITORING_JOB = "monitoring"
RETRAINING_JOB = "retraining"
REGISTRY_MARTS_JOB = "registry_marts"
ALERT_DELIVERY_JOB = "alert_delivery"

# The run-queue tag of every job: runs writing the warehouse go one at a time.
WAREHOUSE_TAG = "vigie/warehouse"
WAREHOUSE_TAGS = {WAREHOUSE_TAG: "writes"}

simulated_traffic_selection = dg.AssetSelection.assets(*RAW_TRAFFIC_KEYS.values())

# The seeds (group raw), staging, the monitoring marts, the drift step with its marts and the
# calibration step (the label-free estimates read it).
monitoring_selection = (dg.AssetSelection.groups(RAW_GROUP, STAGING_GROUP, MARTS_GROUP,
                                                 DRIFT_GROUP, CALIBRATION_GROUP)
                        - simulated_traffic_selection)

# From the candidate to everything of the training and promotion groups, with the staging views
# in between, so each dbt step runs after the Python step whose raw table it reads.
retraining_selection = (dg.AssetSelection.assets(CANDIDATE_MODEL_KEY).downstream()
                        & dg.AssetSelection.groups(TRAINING_GROUP, PROMOTION_GROUP).upstream())

simulation_job = dg.define_asset_job(
    SIMULATION_JOB, simulated_traffic_selection, tags=WAREHOUSE_TAGS,
    description="Simulate production traffic into the raw tables")

monitoring_job = dg.define_asset_job(
    MONITORING_JOB, monitoring_selection, tags=WAREHOUSE_TAGS,
    description="dbt build of the seeds, staging and monitoring marts with their tests, "
                "KS / chi-square drift on the days that need it, then the drift marts")

retraining_job = dg.define_asset_job(
    RETRAINING_JOB, retraining_selection, tags=WAREHOUSE_TAGS,
    description="Train a candidate, evaluate it against production, gate, promote, and "
                "build the registry and candidate marts on the way")

registry_marts_job = dg.define_asset_job(
    REGISTRY_MARTS_JOB,
    dg.AssetSelection.assets(PRODUCTION_MODEL_KEY).downstream(include_self=False),
    tags=WAREHOUSE_TAGS,
    description="Rebuild the marts that read the registry (decisions, versions)")

alert_delivery_job = dg.define_asset_job(
    ALERT_DELIVERY_JOB, dg.AssetSelection.assets(ALERT_DELIVERIES_KEY).upstream(depth=1),
    tags=WAREHOUSE_TAGS,
    description="Rebuild marts.alerts (a blocked promotion shows without a monitoring run), "
                "then send its new alerts to $VIGIE_ALERT_WEBHOOK_URL, once each")

JOBS = [simulation_job, monitoring_job, retraining_job, registry_marts_job, alert_delivery_job]
