"""The retraining sensors decide from materialization metadata alone: an instance with reported
materializations and no warehouse at all. Bounds from seeds/thresholds.csv: retrain_drift_share
0.2, retrain_min_new_labels 2,000."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.sensors import (
    drift_retraining_sensor,
    drift_trigger,
    labels_trigger,
    new_labels_sensor,
)


def day(date: str, share: float | None, status: str = "ok", features: str = "") -> dict:
    return {"window_date": date, "model_name": "credit_risk", "model_version": "v1",
            "drift_share": share, "status": status, "drifted_features": features}


DAYS = [day("2024-01-01", 0.0), day("2024-01-02", 2 / 9, "warning", "age, duration"),
        day("2024-01-03", None), day("2024-01-04", 3 / 9, "alert", "age, duration, sex"),
        day("2024-01-05", 0.1, "warning", "age")]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def report(instance: dg.DagsterInstance, key: dg.AssetKey, **metadata) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata=metadata))


def evaluate(sensor, instance, cursor=None):
    return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_drift_trigger_takes_the_days_at_or_over_the_bound_after_the_cursor():
    request, cursor = drift_trigger(DAYS, 0.2, None)
    # 2/9 = 0.222 and 3/9 = 0.333 reach 0.2; 0.1 and a day without a share do not
    assert cursor == "2024-01-04"
    assert request.run_key == "drift:credit_risk:2024-01-04"
    assert request.tags["vigie/reason"] == (
        "drift share 0.22 >= retrain_drift_share 0.20 from 2024-01-02 (warning: age, "
        "duration); 2 day(s) up to 2024-01-04")
    assert drift_trigger(DAYS, 0.2, "2024-01-04") == (None, "2024-01-04")
    assert drift_trigger(DAYS, 0.34, None) == (None, None)


def test_labels_trigger_counts_from_the_previous_request():
    request, seen = labels_trigger({"credit_risk": 2000}, 2000, {})
    assert seen == {"credit_risk": 2000} and "2,000 new labelled predictions" in \
        request.tags["vigie/reason"]
    assert labels_trigger({"credit_risk": 3999}, 2000, seen) == (None, seen)
    request, seen = labels_trigger({"credit_risk": 4000}, 2000, seen)
    assert request.run_key == "labels:credit_risk:4000" and seen == {"credit_risk": 4000}
    assert labels_trigger({"credit_risk": 1999}, 2000, {}) == (None, {})


def test_drift_sensor_fires_once_from_the_drift_summary_metadata(instance):
    assert isinstance(evaluate(drift_retraining_sensor, instance), dg.SkipReason)
    report(instance, DRIFT_SUMMARY_KEY, drift_share_by_day=dg.MetadataValue.json(DAYS))
    result = evaluate(drift_retraining_sensor, instance)
    assert [r.run_key for r in result.run_requests] == ["drift:credit_risk:2024-01-04"]
    assert result.cursor == "2024-01-04"
    assert isinstance(evaluate(drift_retraining_sensor, instance, result.cursor), dg.SkipReason)


def test_labels_sensor_fires_on_enough_new_labels(instance):
    assert isinstance(evaluate(new_labels_sensor, instance), dg.SkipReason)
    report(instance, LABELS_LATEST_KEY,
           n_labelled_by_model=dg.MetadataValue.json({"credit_risk": 1999}))
    assert isinstance(evaluate(new_labels_sensor, instance), dg.SkipReason)
    report(instance, LABELS_LATEST_KEY,
           n_labelled_by_model=dg.MetadataValue.json({"credit_risk": 2500}))
    result = evaluate(new_labels_sensor, instance)
    assert [r.run_key for r in result.run_requests] == ["labels:credit_risk:2500"]
    assert isinstance(evaluate(new_labels_sensor, instance, result.cursor), dg.SkipReason)
