"""The retraining sensors decide from materialization metadata alone: an instance with reported
materializations and no warehouse at all. Bounds from seeds/thresholds.csv: retrain_drift_share
0.2, retrain_min_new_labels 2,000."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.assets.dbt_metadata import DRIFT_SUMMARY_KEY, LABELS_LATEST_KEY
from orchestration.assets.keys import (
    CANDIDATE_MODEL_KEY,
    DECISION_RECORD_KEY,
    PROMOTION_DECISION_KEY,
)
from orchestration.sensors import (
    drift_retraining_sensor,
    drift_trigger,
    fairness_mitigation_sensor,
    labels_trigger,
    mitigation_request,
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


BLOCKED_V2 = {"decision": "blocked", "candidate_version": "v2",
              "evaluation_id": "credit_risk:v2:vs:v1"}
NAIVE_V2 = {"model_version": "v2", "training_method": "naive"}


def test_mitigation_answers_a_naive_candidate_blocked_for_fairness_only():
    request = mitigation_request(BLOCKED_V2, NAIVE_V2, ["equalized_odds", "four_fifths"])
    assert request.run_key == "mitigate:credit_risk:v2:vs:v1"
    config = request.run_config["ops"]["training__candidate_model"]["config"]
    assert config == {"training_method": "mitigated", "answers_version": "v2"}
    assert request.tags["vigie/trigger"] == "fairness_block"
    assert "equalized_odds, four_fifths failed" in request.tags["vigie/reason"]
    # no fairness check failed (blocked on the AUC floor), a skip, a mitigated candidate, or a
    # candidate materialization of another version: nothing to answer
    assert mitigation_request(BLOCKED_V2, NAIVE_V2, []) is None
    assert mitigation_request({**BLOCKED_V2, "decision": "skipped"}, NAIVE_V2,
                              ["four_fifths"]) is None
    assert mitigation_request(BLOCKED_V2, {**NAIVE_V2, "training_method": "mitigated"},
                              ["four_fifths"]) is None
    assert mitigation_request(BLOCKED_V2, {**NAIVE_V2, "model_version": "v3"},
                              ["four_fifths"]) is None


def _blocked_run(instance, failed: dict[str, bool]) -> None:
    """A retraining run's events as Dagster stores them: the candidate, the gate's checks on
    promotion_decision, the decision record."""

    @dg.asset(key=CANDIDATE_MODEL_KEY)
    def candidate():
        return dg.MaterializeResult(metadata={"model_version": "v2", "training_method": "naive"})

    @dg.multi_asset(specs=[dg.AssetSpec(PROMOTION_DECISION_KEY, deps=[CANDIDATE_MODEL_KEY]),
                           dg.AssetSpec(DECISION_RECORD_KEY, deps=[CANDIDATE_MODEL_KEY])],
                    check_specs=[dg.AssetCheckSpec(name, asset=PROMOTION_DECISION_KEY)
                                 for name in failed])
    def decision():
        yield dg.MaterializeResult(asset_key=PROMOTION_DECISION_KEY)
        for name, passed in failed.items():
            yield dg.AssetCheckResult(asset_key=PROMOTION_DECISION_KEY, check_name=name,
                                      passed=passed)
        yield dg.MaterializeResult(asset_key=DECISION_RECORD_KEY, metadata=BLOCKED_V2)

    assert dg.materialize([candidate, decision], instance=instance).success


def test_mitigation_sensor_reads_the_decision_and_the_checks_of_its_run(instance):
    assert isinstance(evaluate(fairness_mitigation_sensor, instance), dg.SkipReason)
    _blocked_run(instance, {"four_fifths": False, "equalized_odds": True, "auc_margin": False})
    result = evaluate(fairness_mitigation_sensor, instance)
    assert [r.run_key for r in result.run_requests] == ["mitigate:credit_risk:v2:vs:v1"]
    assert "four_fifths failed" in result.run_requests[0].tags["vigie/reason"]
    again = evaluate(fairness_mitigation_sensor, instance, result.cursor)
    assert isinstance(again, dg.SkipReason)
    # blocked on the AUC margin alone: no mitigation
    _blocked_run(instance, {"four_fifths": True, "auc_margin": False})
    result = evaluate(fairness_mitigation_sensor, instance, result.cursor)
    assert not result.run_requests and result.cursor
