"""Ingestion against the raw contract: every bad input quarantined with its reason, counts that
add up, idempotent re-runs, on DuckDB, PostgreSQL and Spark."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from models_ml import raw_validation as rv
from orchestration.ingest import ingest_file
from orchestration.readers import ReaderError
from orchestration.seed_config import contract_rules
from orchestration.warehouse import Warehouse, WarehouseConfig, WarehouseError, default_project_dir
from orchestration.warehouse_init import init_warehouse

RULES = contract_rules(default_project_dir())


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("spark", marks=pytest.mark.spark)])
def warehouse(request) -> Warehouse:
    """The ingestion tests also run on Spark: the same contract, in bulk through Arrow."""
    return Warehouse(request.getfixturevalue(f"{request.param}_config"))


def prediction(pid: str, **changes) -> dict:
    row = {"prediction_id": pid, "model_name": "credit_risk", "model_version": "v1",
           "scored_at": "2026-03-01T10:00:00+00:00", "entity_id": f"c-{pid}",
           "features": {"age": 41, "sex": "female", "credit_amount": 2500.0},
           "score": 0.31, "decision": "approved", "latency_ms": 21.5}
    row.update(changes)
    return row


GOOD = [prediction(f"p{i}") for i in range(5)]
# (line, expected reason) — one row per kind of bad input the contract names.
BAD = [
    ("{not json", rv.INVALID_JSON),
    (json.dumps([1, 2, 3]), rv.NOT_AN_OBJECT),
    (json.dumps(prediction("b1", features=[1, 2])), rv.FEATURES_NOT_OBJECT),
    (json.dumps(prediction("b2", features="{oops")), rv.INVALID_JSON),
    (json.dumps(prediction("b3", score=1.5)), rv.SCORE_OUT_OF_RANGE),
    (json.dumps(prediction("b4", score=-0.1)), rv.SCORE_OUT_OF_RANGE),
    (json.dumps(prediction("b5")).replace("0.31", "NaN"), rv.SCORE_NOT_FINITE),
    (json.dumps(prediction("b6")).replace("0.31", "Infinity"), rv.SCORE_NOT_FINITE),
    (json.dumps({k: v for k, v in prediction("b7").items() if k != "model_version"}),
     rv.MISSING_FIELD),
    (json.dumps(prediction("b8", score="high")), rv.WRONG_TYPE),
    (json.dumps(prediction("b9", scored_at="yesterday")), rv.BAD_TIMESTAMP),
    (json.dumps(prediction("b10", model_name="other_model")), rv.UNKNOWN_MODEL),
    (json.dumps(prediction("b11", decision="maybe")), rv.UNKNOWN_DECISION),
    (json.dumps(prediction("p0", score=0.99)), rv.DUPLICATE_CONFLICT),
]


def write_jsonl(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def quarantine_reasons(warehouse: Warehouse) -> dict[str, int]:
    frame = warehouse.query_df("select reason, count(*) as n from raw.quarantine group by reason")
    return dict(zip(frame["reason"], frame["n"].astype(int), strict=True))


def test_mixed_file_counts_add_up_and_every_bad_row_is_quarantined(warehouse, tmp_path):
    init_warehouse(warehouse)
    lines = [json.dumps(r) for r in GOOD] + [line for line, _ in BAD] + [json.dumps(GOOD[1])]
    report = ingest_file(warehouse, "predictions", write_jsonl(tmp_path / "p.jsonl", lines),
                         rules=RULES)

    assert report.received == len(lines)
    assert report.accepted == len(GOOD)
    assert report.already_present == 1  # the exact repeat of p1
    assert report.quarantined == len(BAD)
    assert report.received == report.accepted + report.already_present + report.quarantined
    expected = pd.Series([reason for _, reason in BAD]).value_counts().to_dict()
    assert quarantine_reasons(warehouse) == expected
    payloads = set(warehouse.query_df("select payload from raw.quarantine")["payload"])
    assert "{not json" in payloads  # the original text is kept, not a re-serialization
    batch = warehouse.query_df("select * from raw.ingestion_batches").iloc[0]
    assert (batch.n_received, batch.n_accepted, batch.n_quarantined) == (
        len(lines), len(GOOD), len(BAD))


def test_reingesting_the_same_file_adds_nothing(warehouse, tmp_path):
    init_warehouse(warehouse)
    path = write_jsonl(tmp_path / "p.jsonl",
                       [json.dumps(r) for r in GOOD] + [line for line, _ in BAD[:3]])
    first = ingest_file(warehouse, "predictions", path, rules=RULES)
    second = ingest_file(warehouse, "predictions", path, rules=RULES)
    assert first.accepted == len(GOOD) and second.accepted == 0
    assert second.already_present == len(GOOD)
    assert second.received == second.accepted + second.already_present + second.quarantined
    assert warehouse.scalar("select count(*) from raw.predictions") == len(GOOD)
    assert warehouse.scalar("select count(*) from raw.quarantine") == 3


def test_reingesting_the_same_feedback_file_adds_nothing_and_quarantines_nothing(warehouse,
                                                                                  tmp_path):
    # A chunk of feedback duplicates only has no row to insert; it used to fail on the missing
    # orphan column and quarantine each of its rows as unreadable.
    init_warehouse(warehouse)
    ingest_file(warehouse, "predictions",
                write_jsonl(tmp_path / "p.jsonl", [json.dumps(GOOD[0])]), rules=RULES)
    rows = [{"feedback_id": f"f{i}", "prediction_id": "p0" if i else "unknown",
             "received_at": "2026-03-05T09:00:00Z", "kind": "label", "outcome": "repaid"}
            for i in range(3)]
    path = write_jsonl(tmp_path / "f.jsonl", [json.dumps(r) for r in rows])
    first = ingest_file(warehouse, "feedback", path, rules=RULES)
    second = ingest_file(warehouse, "feedback", path, rules=RULES)
    assert (first.accepted, first.orphans) == (3, 1)
    assert (second.received, second.accepted, second.already_present, second.quarantined,
            second.orphans) == (3, 0, 3, 0, 0)
    assert warehouse.scalar("select count(*) from raw.feedback") == 3
    assert warehouse.scalar("select count(*) from raw.quarantine") == 0


def test_duplicate_ids_across_files_conflict_only_when_content_differs(warehouse, tmp_path):
    init_warehouse(warehouse)
    ingest_file(warehouse, "predictions", write_jsonl(tmp_path / "a.jsonl",
                                                      [json.dumps(GOOD[0])]), rules=RULES)
    report = ingest_file(warehouse, "predictions", write_jsonl(tmp_path / "b.jsonl", [
        json.dumps(GOOD[0]), json.dumps(prediction("p0", decision="declined"))]), rules=RULES)
    assert (report.already_present, report.quarantined) == (1, 1)
    assert quarantine_reasons(warehouse) == {rv.DUPLICATE_CONFLICT: 1}


def test_zone_less_timestamps_are_utc_and_zoned_ones_are_converted(warehouse, tmp_path):
    init_warehouse(warehouse)
    rows = [prediction("t1", scored_at="2026-03-01T10:00:00"),
            prediction("t2", scored_at="2026-03-01T12:00:00+02:00")]
    ingest_file(warehouse, "predictions",
                write_jsonl(tmp_path / "t.jsonl", [json.dumps(r) for r in rows]), rules=RULES)
    frame = warehouse.query_df("select prediction_id, scored_at from raw.predictions "
                               "order by prediction_id")
    assert [str(v)[:19] for v in frame["scored_at"]] == ["2026-03-01 10:00:00"] * 2


def test_feedback_validation_and_orphans_are_kept_and_flagged(warehouse, tmp_path):
    init_warehouse(warehouse)
    ingest_file(warehouse, "predictions",
                write_jsonl(tmp_path / "p.jsonl", [json.dumps(GOOD[0])]), rules=RULES)
    base = {"received_at": "2026-03-05T09:00:00Z", "prediction_id": "p0"}
    rows = [
        {**base, "feedback_id": "f1", "kind": "label", "outcome": "repaid"},
        {**base, "feedback_id": "f2", "kind": "rating", "rating": 4},
        {**base, "feedback_id": "f3", "kind": "implicit", "event": "converted"},
        {**base, "feedback_id": "f4", "kind": "label", "outcome": "repaid",
         "prediction_id": "unknown"},
        {**base, "feedback_id": "f5", "kind": "rating", "rating": 9},
        {**base, "feedback_id": "f6", "kind": "label", "outcome": "vanished"},
        {**base, "feedback_id": "f7", "kind": "gossip"},
        {**base, "feedback_id": "f8", "kind": "label"},
    ]
    report = ingest_file(warehouse, "feedback",
                         write_jsonl(tmp_path / "f.jsonl", [json.dumps(r) for r in rows]),
                         rules=RULES)
    assert (report.accepted, report.quarantined, report.orphans) == (4, 4, 1)
    assert quarantine_reasons(warehouse) == {rv.RATING_OUT_OF_RANGE: 1, rv.UNKNOWN_OUTCOME: 1,
                                             rv.UNKNOWN_KIND: 1, rv.MISSING_FIELD: 1}
    orphan = warehouse.scalar("select feedback_id from raw.feedback where is_orphan_at_ingestion")
    assert orphan == "f4"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_csv_and_parquet_go_through_the_same_contract(duckdb_config, tmp_path, fmt):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    rows = GOOD + [prediction("bad", score=2.0)]
    frame = pd.DataFrame([{**r, "features": json.dumps(r["features"])} for r in rows])
    path = tmp_path / f"p.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    report = ingest_file(warehouse, "predictions", path, rules=RULES)
    assert (report.received, report.accepted, report.quarantined) == (6, 5, 1)
    assert quarantine_reasons(warehouse) == {rv.SCORE_OUT_OF_RANGE: 1}


def test_csv_row_with_wrong_field_count_is_quarantined(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    path = tmp_path / "p.csv"
    path.write_text("prediction_id,model_name\nx1,credit_risk,extra\n")
    report = ingest_file(warehouse, "predictions", path, rules=RULES)
    assert (report.received, report.quarantined) == (1, 1)
    assert quarantine_reasons(warehouse) == {rv.INVALID_JSON: 1}


def test_empty_file_ingests_nothing_and_says_so(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    report = ingest_file(warehouse, "predictions", write_jsonl(tmp_path / "e.jsonl", []),
                         rules=RULES)
    assert (report.received, report.accepted, report.quarantined) == (0, 0, 0)
    assert warehouse.scalar("select n_received from raw.ingestion_batches") == 0


def test_a_ten_megabyte_line_is_stored_whole(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    big = prediction("huge", features={"age": 30, "note": "x" * 10_000_000})
    report = ingest_file(warehouse, "predictions",
                         write_jsonl(tmp_path / "big.jsonl", [json.dumps(big)]), rules=RULES)
    assert report.accepted == 1
    length = warehouse.scalar("select length(cast(features as varchar)) from raw.predictions")
    assert length > 10_000_000


def test_missing_file_and_unknown_format_are_clear_errors(duckdb_config, tmp_path):
    warehouse = Warehouse(duckdb_config)
    with pytest.raises(ReaderError, match="no such file"):
        ingest_file(warehouse, "predictions", tmp_path / "nope.jsonl", rules=RULES)
    (tmp_path / "p.xml").write_text("<a/>")
    with pytest.raises(ReaderError, match="unknown format"):
        ingest_file(warehouse, "predictions", tmp_path / "p.xml", rules=RULES)


def test_unreachable_database_is_a_clear_error():
    config = WarehouseConfig.from_env(target="postgres", pg_port=1, pg_database="nowhere")
    with pytest.raises(WarehouseError, match="cannot reach the postgres warehouse"):
        init_warehouse(Warehouse(config))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_batch_keeps_the_sha256_of_the_file_read_once(duckdb_config, tmp_path, fmt):
    import hashlib

    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    path = tmp_path / f"p.{fmt}"
    if fmt == "jsonl":
        write_jsonl(path, ["", json.dumps(GOOD[0]), "  ", json.dumps(GOOD[1])])
    else:
        pd.DataFrame([{**r, "features": json.dumps(r["features"])} for r in GOOD]).to_csv(
            path, index=False)
    ingest_file(warehouse, "predictions", path, rules=RULES, chunk_size=1)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert warehouse.scalar("select file_sha256 from raw.ingestion_batches") == expected


def test_a_file_large_enough_for_the_bulk_path_gives_the_same_counts(warehouse, tmp_path):
    # Chunks under ingest_chunks.SMALL_CHUNK rows go to the row validator; this one is bulk
    # validated (read by DuckDB as a file), the bad rows settled by the row validator.
    init_warehouse(warehouse)
    good = [json.dumps(prediction(f"g{i}", score=i / 200)) for i in range(150)]
    lines = good[:70] + [line for line, _ in BAD] + good[70:] + [good[3]]
    path = write_jsonl(tmp_path / "p.jsonl", lines)
    report = ingest_file(warehouse, "predictions", path, rules=RULES, chunk_size=100)
    # BAD's last row repeats p0 with another score; this file has no other p0, so it is stored.
    assert (report.received, report.accepted, report.already_present, report.quarantined) == (
        len(lines), 151, 1, len(BAD) - 1)
    expected = pd.Series([reason for _, reason in BAD[:-1]]).value_counts().to_dict()
    assert quarantine_reasons(warehouse) == expected
    again = ingest_file(warehouse, "predictions", path, rules=RULES, chunk_size=100)
    assert (again.accepted, again.already_present, again.quarantined) == (0, 152, len(BAD) - 1)
    assert warehouse.scalar("select count(*) from raw.predictions") == 151
