"""Validation of incoming records against the raw contract (DESIGN.md, "The raw contract").

Pure functions: a record (a dict as parsed from JSON Lines, CSV or Parquet) goes in, a clean
row or a rejection with a reason comes out. Zone-less timestamps are read as UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import orjson

# Reasons stored in raw.quarantine.reason; tests assert on them.
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "record_not_an_object"
MISSING_FIELD = "missing_field"
WRONG_TYPE = "wrong_type"
FEATURES_NOT_OBJECT = "features_not_object"
SCORE_OUT_OF_RANGE = "score_out_of_range"
SCORE_NOT_FINITE = "score_not_finite"
BAD_TIMESTAMP = "unparseable_timestamp"
UNKNOWN_MODEL = "unknown_model"
UNKNOWN_DECISION = "unknown_decision"
UNKNOWN_KIND = "unknown_feedback_kind"
UNKNOWN_OUTCOME = "unknown_outcome"
RATING_OUT_OF_RANGE = "rating_out_of_range"
NEGATIVE_LATENCY = "negative_latency"
DUPLICATE_CONFLICT = "duplicate_id_conflict"
CONTAINS_NUL = "contains_nul_character"
# Anything else that goes wrong with one row (a number past float's range, JSON nested too deep,
# a value the warehouse refuses): the row is quarantined with the error, the file goes on.
UNREADABLE = "unreadable"

# PostgreSQL text and JSONB cannot hold a NUL character; refusing it on every engine keeps the
# engines equal (the row itself is kept, byte for byte, in raw.quarantine).
NUL_DETAIL = "holds a NUL character, which a warehouse text value cannot store"

FEEDBACK_KINDS = ("label", "rating", "implicit")
PREDICTION_REQUIRED = ("prediction_id", "model_name", "model_version", "scored_at", "features",
                       "score", "decision")
FEEDBACK_REQUIRED = ("feedback_id", "prediction_id", "received_at", "kind")
UTC = dt.UTC


class Rejected(ValueError):
    """A record breaks the contract; `reason` is one of the module's reason constants."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ContractRules:
    """What the contract knows about models: their names, decisions and label outcomes."""

    known_models: Collection[str]
    decisions_by_model: Mapping[str, Collection[str]]
    outcomes: Collection[str]


def record_hash(row: Mapping[str, object]) -> str:
    """sha256 of a validated row's canonical JSON (sorted keys): same content, same hash."""
    return hashlib.sha256(orjson.dumps(row, option=orjson.OPT_SORT_KEYS,
                                       default=str)).hexdigest()


def parse_timestamp(value: object, field: str) -> dt.datetime:
    """A UTC datetime without tzinfo from ISO-8601 text or a datetime; zone-less means UTC."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise Rejected(BAD_TIMESTAMP,
                           f"{field}={value[:80]!r} is not an ISO-8601 timestamp") from None
    else:
        raise Rejected(BAD_TIMESTAMP, f"{field}={_short(value)} is not a timestamp")
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59-05:00 is past the last UTC datetime
            raise Rejected(BAD_TIMESTAMP,
                           f"{field}={_short(value)} is outside the range of UTC timestamps"
                           ) from None
    return parsed


def _text(record: Mapping, field: str, *, required: bool = True) -> str | None:
    value = record.get(field)
    if type(value) is str and value:  # the common case first: ingestion is per row
        if "\x00" in value:
            raise Rejected(CONTAINS_NUL, f"{field}={_short(value)} {NUL_DETAIL}")
        return value
    if value is None or value == "":
        if required:
            raise Rejected(MISSING_FIELD, f"{field} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Rejected(WRONG_TYPE, f"{field}={_short(value)} is not text")
    return str(value)


def _number(record: Mapping, field: str, *, required: bool = True) -> float | None:
    value = record.get(field)
    if type(value) is float or type(value) is int:
        return float(value)
    if value is None or value == "":
        if required:
            raise Rejected(MISSING_FIELD, f"{field} is missing")
        return None
    if isinstance(value, bool):
        raise Rejected(WRONG_TYPE, f"{field}={value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Rejected(WRONG_TYPE, f"{field}={_short(value)} is not a number") from None
    return number


def _features(value: object) -> dict:
    if value is None or value == "":
        raise Rejected(MISSING_FIELD, "features is missing")
    if isinstance(value, str | bytes):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise Rejected(INVALID_JSON, f"features is not valid JSON ({exc})") from None
    if isinstance(value, list) and all(isinstance(p, tuple | list) and len(p) == 2
                                       for p in value):
        value = dict(value)  # Parquet/Arrow maps arrive as key-value pairs
    if not isinstance(value, dict):
        raise Rejected(FEATURES_NOT_OBJECT,
                       f"features must be a JSON object, got {type(value).__name__}")
    return value


def _features_json(features: dict) -> str:
    text = orjson.dumps(features).decode()
    # orjson writes a NUL as \u0000; the cheap test first, the exact one only when it may be so.
    if "\\u0000" in text and _has_nul(features):
        raise Rejected(CONTAINS_NUL, f"features {NUL_DETAIL}")
    return text


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def validate_prediction(record: object, rules: ContractRules) -> dict:
    """A clean prediction row (raw.predictions columns, without bookkeeping) or Rejected."""
    if not isinstance(record, Mapping):
        raise Rejected(NOT_AN_OBJECT,
                       f"a prediction must be an object, got {type(record).__name__}")
    for field in PREDICTION_REQUIRED:
        value = record.get(field)
        if value is None or (type(value) is str and not value):
            raise Rejected(MISSING_FIELD, f"{field} is missing")
    model_name = _text(record, "model_name")
    if model_name not in rules.known_models:
        raise Rejected(UNKNOWN_MODEL, f"model_name={model_name!r} is not in the feature schema")
    score = _number(record, "score")
    if not math.isfinite(score):
        raise Rejected(SCORE_NOT_FINITE, f"score={score!r} is not finite")
    if not 0.0 <= score <= 1.0:
        raise Rejected(SCORE_OUT_OF_RANGE, f"score={score!r} is outside [0, 1]")
    decision = _text(record, "decision")
    allowed = rules.decisions_by_model.get(model_name)
    if allowed and decision not in allowed:
        raise Rejected(UNKNOWN_DECISION,
                       f"decision={decision!r} is not one of {sorted(allowed)} for {model_name}")
    latency = _number(record, "latency_ms", required=False)
    if latency is not None and not (math.isfinite(latency) and latency >= 0):
        raise Rejected(NEGATIVE_LATENCY, f"latency_ms={latency!r} is not a duration")
    return {
        "prediction_id": _text(record, "prediction_id"),
        "model_name": model_name,
        "model_version": _text(record, "model_version"),
        "scored_at": parse_timestamp(record.get("scored_at"), "scored_at"),
        "entity_id": _text(record, "entity_id", required=False),
        "features": _features_json(_features(record.get("features"))),
        "score": score,
        "decision": decision,
        "latency_ms": latency,
    }


def validate_feedback(record: object, rules: ContractRules) -> dict:
    """A clean feedback row (raw.feedback columns, without bookkeeping) or Rejected."""
    if not isinstance(record, Mapping):
        raise Rejected(NOT_AN_OBJECT, f"feedback must be an object, got {type(record).__name__}")
    for field in FEEDBACK_REQUIRED:
        value = record.get(field)
        if value is None or (type(value) is str and not value):
            raise Rejected(MISSING_FIELD, f"{field} is missing")
    kind = _text(record, "kind").lower()
    if kind not in FEEDBACK_KINDS:
        raise Rejected(UNKNOWN_KIND, f"kind={kind!r} is not one of {list(FEEDBACK_KINDS)}")
    outcome = _text(record, "outcome", required=kind == "label")
    if kind == "label" and outcome not in rules.outcomes:
        raise Rejected(UNKNOWN_OUTCOME,
                       f"outcome={outcome!r} is not one of {sorted(rules.outcomes)}")
    rating = _number(record, "rating", required=kind == "rating")
    if rating is not None:
        if not (math.isfinite(rating) and rating == int(rating) and 1 <= rating <= 5):
            raise Rejected(RATING_OUT_OF_RANGE, f"rating={rating!r} is not a whole 1 to 5")
        rating = int(rating)
    event = _text(record, "event", required=kind == "implicit")
    return {
        "feedback_id": _text(record, "feedback_id"),
        "prediction_id": _text(record, "prediction_id"),
        "received_at": parse_timestamp(record.get("received_at"), "received_at"),
        "kind": kind,
        "outcome": outcome if kind == "label" else None,
        "rating": rating if kind == "rating" else None,
        "event": event.lower() if kind == "implicit" and event else None,
        "comment": _text(record, "comment", required=False),
    }


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
