"""The raw contract's record validation, case by case (pure, no warehouse)."""

from __future__ import annotations

import datetime as dt

import pytest

from models_ml import raw_validation as rv

RULES = rv.ContractRules(known_models={"credit_risk"},
                         decisions_by_model={"credit_risk": {"approved", "declined"}},
                         outcomes={"repaid", "defaulted"})
GOOD = {"prediction_id": "p1", "model_name": "credit_risk", "model_version": "v1",
        "scored_at": "2026-03-01T10:00:00Z", "features": {"age": 40}, "score": 0.3,
        "decision": "approved"}


def reason_of(record, validate=rv.validate_prediction) -> str:
    with pytest.raises(rv.Rejected) as info:
        validate(record, RULES)
    return info.value.reason


def test_a_good_prediction_is_typed():
    row = rv.validate_prediction({**GOOD, "score": "0.3", "latency_ms": "12"}, RULES)
    assert row["score"] == 0.3 and row["latency_ms"] == 12.0
    assert row["scored_at"] == dt.datetime(2026, 3, 1, 10, 0)
    assert row["features"] == '{"age":40}'


@pytest.mark.parametrize(("change", "reason"), [
    ({"score": 1.0000001}, rv.SCORE_OUT_OF_RANGE),
    ({"score": float("nan")}, rv.SCORE_NOT_FINITE),
    ({"score": float("-inf")}, rv.SCORE_NOT_FINITE),
    ({"score": True}, rv.WRONG_TYPE),
    ({"score": None}, rv.MISSING_FIELD),
    ({"prediction_id": ""}, rv.MISSING_FIELD),
    ({"prediction_id": ["p"]}, rv.WRONG_TYPE),
    ({"features": "[1]"}, rv.FEATURES_NOT_OBJECT),
    ({"features": "{"}, rv.INVALID_JSON),
    ({"scored_at": "2026-13-01"}, rv.BAD_TIMESTAMP),
    ({"scored_at": 1700000000}, rv.BAD_TIMESTAMP),
    ({"model_name": "churn"}, rv.UNKNOWN_MODEL),
    ({"decision": "approve"}, rv.UNKNOWN_DECISION),
    ({"latency_ms": -1}, rv.NEGATIVE_LATENCY),
])
def test_each_breach_has_its_reason(change, reason):
    assert reason_of({**GOOD, **change}) == reason


def test_score_bounds_are_inclusive():
    assert rv.validate_prediction({**GOOD, "score": 0}, RULES)["score"] == 0.0
    assert rv.validate_prediction({**GOOD, "score": 1}, RULES)["score"] == 1.0


def test_timestamps_zone_less_are_utc_zoned_are_converted():
    assert rv.parse_timestamp("2026-03-01T10:00:00", "t") == dt.datetime(2026, 3, 1, 10)
    assert rv.parse_timestamp("2026-03-01T10:00:00-05:00", "t") == dt.datetime(2026, 3, 1, 15)
    aware = dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert rv.parse_timestamp(aware, "t") == dt.datetime(2026, 3, 1, 9)


def test_parquet_map_features_arrive_as_pairs():
    row = rv.validate_prediction({**GOOD, "features": [("age", 40), ("sex", "f")]}, RULES)
    assert row["features"] == '{"age":40,"sex":"f"}'


def test_record_hash_ignores_key_order_and_sees_content():
    assert rv.record_hash({"a": 1, "b": 2}) == rv.record_hash({"b": 2, "a": 1})
    assert rv.record_hash({"a": 1}) != rv.record_hash({"a": 2})


FEEDBACK = {"feedback_id": "f1", "prediction_id": "p1", "received_at": "2026-03-02T00:00:00Z"}


@pytest.mark.parametrize(("record", "reason"), [
    ({**FEEDBACK, "kind": "label"}, rv.MISSING_FIELD),
    ({**FEEDBACK, "kind": "label", "outcome": "late"}, rv.UNKNOWN_OUTCOME),
    ({**FEEDBACK, "kind": "rating", "rating": 0}, rv.RATING_OUT_OF_RANGE),
    ({**FEEDBACK, "kind": "rating", "rating": 3.5}, rv.RATING_OUT_OF_RANGE),
    ({**FEEDBACK, "kind": "implicit"}, rv.MISSING_FIELD),
    ({**FEEDBACK, "kind": "survey"}, rv.UNKNOWN_KIND),
    ({**FEEDBACK, "kind": "label", "outcome": "repaid", "received_at": "soon"}, rv.BAD_TIMESTAMP),
    ("just text", rv.NOT_AN_OBJECT),
])
def test_feedback_breaches(record, reason):
    assert reason_of(record, rv.validate_feedback) == reason


def test_feedback_keeps_only_the_field_of_its_kind():
    row = rv.validate_feedback({**FEEDBACK, "kind": "Rating", "rating": "4", "outcome": "repaid"},
                               RULES)
    assert (row["kind"], row["rating"], row["outcome"]) == ("rating", 4, None)
