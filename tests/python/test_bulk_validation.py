"""The bulk validator against the row validator (the oracle): every row the bulk path takes,
the row validator accepts with the same values and the same record_hash; plain rows all go
the bulk way; the row validator keeps the last word on everything else."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import orjson
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models_ml import bulk_validation as bv
from models_ml import raw_validation as rv
from orchestration.ingest_chunks import Lines
from orchestration.readers import parse_json_line

RULES = rv.ContractRules(known_models={"credit_risk", "any_decision"},
                         decisions_by_model={"credit_risk": {"approved", "declined"}},
                         outcomes={"repaid", "defaulted"})
VALIDATE = {"predictions": rv.validate_prediction, "feedback": rv.validate_feedback}


def row_oracle(source: str, line: bytes) -> dict | None:
    """What the row path makes of a line: the typed row with its hash, or None if refused."""
    record = parse_json_line(1, line)
    if record.parse_error is not None:
        return None
    try:
        row = VALIDATE[source](record.value, RULES)
        row["record_hash"] = rv.record_hash(row)
    except Exception:  # Rejected, or a row the row path quarantines as unreadable
        return None
    return row


def bulk(source: str, lines: list[bytes], tmp_path=None) -> dict[int, dict]:
    con = duckdb.connect()
    if tmp_path is not None:
        path = tmp_path / "chunk.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        try:
            table = bv.validate_file(con, source, str(path), RULES)
        except duckdb.Error:
            return {}
    else:
        table = bv.validate_lines(con, source, pa.table({
            "i": pa.array(range(len(lines)), pa.int64()),
            "line": pa.array(lines, pa.binary()).cast(pa.string())}), RULES)
    return {r.pop("i"): r for r in table.to_pylist()}


def assert_same_as_oracle(source: str, lines: list[bytes], taken: dict[int, dict]) -> None:
    for k, row in taken.items():
        expected = row_oracle(source, lines[k])
        assert expected is not None, lines[k]
        assert row == expected, lines[k]


texts = st.one_of(st.sampled_from(["approved", "declined", "v1", "c-1", "é/ü", 'a"b', "a\\b",
                                   "tab\there", "", "x\u0000y", "NaN"]),
                  st.text(max_size=8))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 10**20),
                    st.sampled_from([0, 1, 0.5, 1e-5, 0.31, 2500.0, 1e16, -0.0]))
timestamps = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)).map(
        lambda d: d.isoformat()),
    st.sampled_from(["2026-03-01T10:00:00Z", "2026-03-01 10:00:00.5+05:30",
                     "2026-03-01T24:00:00", "2026-02-30T10:00:00", "9999-12-31T23:59:59-05:00",
                     "2026-03-01T10:00:00.1234567", " 2026-03-01T10:00:00", "yesterday"]))
scalars = st.one_of(st.none(), st.booleans(), texts, numbers)
features = st.one_of(
    st.dictionaries(st.sampled_from(["age", "sex", "note", "n"]), scalars, max_size=4),
    st.dictionaries(st.sampled_from(["a", "b"]), st.lists(scalars, max_size=2), max_size=2),
    st.sampled_from(['{"age": 3}', "[1]", "{oops", '{"a": 1, "a": 2}']),
    scalars)


@st.composite
def prediction_lines(draw) -> bytes:
    record = {"prediction_id": draw(st.one_of(st.just("p1"), texts, numbers)),
              "model_name": draw(st.sampled_from(["credit_risk", "any_decision", "churn"])),
              "model_version": draw(st.one_of(st.just("v1"), texts)),
              "scored_at": draw(st.one_of(timestamps, numbers)),
              "entity_id": draw(scalars), "features": draw(features),
              "score": draw(st.one_of(numbers, st.sampled_from(["0.3", "1e-1", " 0.2"]))),
              "decision": draw(st.one_of(st.sampled_from(["approved", "maybe"]), texts)),
              "latency_ms": draw(st.one_of(numbers, st.none(), st.just("12")))}
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record.pop(key, None)
    style = draw(st.sampled_from(["orjson", "json", "ascii"]))
    if style == "orjson":
        try:
            return orjson.dumps(record)
        except TypeError:  # an integer past 64 bits: Python's json writes it
            style = "json"
    return json.dumps(record, ensure_ascii=style == "ascii").encode()


@st.composite
def feedback_lines(draw) -> bytes:
    record = {"feedback_id": draw(st.one_of(st.just("f1"), texts)),
              "prediction_id": draw(st.one_of(st.just("p1"), texts)),
              "received_at": draw(timestamps),
              "kind": draw(st.sampled_from(["label", "Rating", "implicit", "gossip", "LABEL"])),
              "outcome": draw(st.one_of(st.sampled_from(["repaid", "defaulted", "late"]),
                                        scalars)),
              "rating": draw(st.one_of(st.sampled_from([1, 4, 5.0, 3.5, 0, "4"]), scalars)),
              "event": draw(st.one_of(st.sampled_from(["Converted", "engaged"]), scalars)),
              "comment": draw(scalars)}
    for key in draw(st.lists(st.sampled_from(sorted(record)), max_size=3)):
        record.pop(key, None)
    return json.dumps(record).encode()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(prediction_lines(), min_size=1, max_size=25))
def test_bulk_predictions_equal_the_row_validator(lines):
    assert_same_as_oracle("predictions", lines, bulk("predictions", lines))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(feedback_lines(), min_size=1, max_size=25))
def test_bulk_feedback_equals_the_row_validator(lines):
    assert_same_as_oracle("feedback", lines, bulk("feedback", lines))


PLAIN = [orjson.dumps({"prediction_id": f"p{i}", "model_name": "credit_risk",
                       "model_version": "v1", "scored_at": f"2026-03-01T10:00:0{i}.12+01:00",
                       "entity_id": None if i % 2 else f"c{i}",
                       "features": {"age": 30 + i, "sex": "female", "amount": 2500.5 + i},
                       "score": i / 10, "decision": "declined", "latency_ms": 3 * i})
         for i in range(6)]


@pytest.mark.parametrize("as_file", [False, True], ids=["lines", "file"])
def test_plain_rows_all_go_the_bulk_way(tmp_path, as_file):
    taken = bulk("predictions", PLAIN, tmp_path if as_file else None)
    assert sorted(taken) == list(range(len(PLAIN)))
    assert_same_as_oracle("predictions", PLAIN, taken)


@pytest.mark.parametrize("line", [
    b'{"prediction_id": "p1", "model_name": "credit_risk", "model_version": "v1", '
    b'"scored_at": "2026-03-01T10:00:00", "features": {"a": 1,}, "score": 0.3, '
    b'"decision": "approved",}',  # trailing commas: DuckDB takes them, Python does not
    b'{"prediction_id": "p1", "prediction_id": "p2", "model_name": "credit_risk", '
    b'"model_version": "v1", "scored_at": "2026-03-01T10:00:00", "features": {}, '
    b'"score": 0.3, "decision": "approved"}',  # repeated key: DuckDB the first, Python the last
    b'{"prediction_id": "p1", "model_name": "credit_risk", "model_version": "v1", '
    b'"scored_at": "2026-03-01T10:00:00", "features": {"a": NaN}, "score": 0.3, '
    b'"decision": "approved"}',
], ids=["trailing comma", "repeated key", "NaN feature"])
def test_what_duckdb_reads_leniently_is_left_to_the_row_validator(tmp_path, line):
    assert bulk("predictions", [line]) == {}
    if Lines([1], [line]).as_file_bytes() is not None:  # else it is not read as a file
        assert bulk("predictions", [line], tmp_path) == {}
