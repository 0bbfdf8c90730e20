"""Fault suite: no single row stops a file. Each hostile row is quarantined as `unreadable` (or
with its contract reason), its payload kept byte for byte, and every row after it is stored."""

from __future__ import annotations

import base64
import json

import pytest

from models_ml import raw_validation as rv
from orchestration.ingest import ingest_file
from orchestration.seed_config import contract_rules
from orchestration.warehouse import default_project_dir
from orchestration.warehouse_init import init_warehouse

RULES = contract_rules(default_project_dir())
BIG = "1" * 401  # a 401-digit integer: past int64, past float's range


def good(pid: str, **changes) -> dict:
    row = {"prediction_id": pid, "model_name": "credit_risk", "model_version": "v1",
           "scored_at": "2026-03-01T10:00:00+00:00", "entity_id": f"c-{pid}",
           "features": {"age": 41, "sex": "female"}, "score": 0.31, "decision": "approved"}
    row.update(changes)
    return row


def line(row: dict) -> bytes:
    return json.dumps(row).encode()


# (name, the hostile line as bytes, the reason it must be quarantined with)
HOSTILE = [
    ("401-digit feature", line(good("h")).replace(b'"age": 41', b'"age": ' + BIG.encode()),
     rv.UNREADABLE),
    ("401-digit score", line(good("h")).replace(b'"score": 0.31', b'"score": ' + BIG.encode()),
     rv.UNREADABLE),
    ("JSON nested 100,000 deep", b'{"prediction_id": "h", "features": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", rv.UNREADABLE),
    ("timestamp past year 9999 in UTC", line(good("h", scored_at="9999-12-31T23:59:59-05:00")),
     rv.BAD_TIMESTAMP),
    ("NUL escape in a text field", line(good("h", entity_id="a\u0000b")), rv.CONTAINS_NUL),
    ("NUL escape in a feature", line(good("h", features={"sex": "f\u0000"})), rv.CONTAINS_NUL),
    ("raw NUL byte", line(good("h")).replace(b'"c-h"', b'"c-\x00h"'), rv.INVALID_JSON),
    ("bytes that are not UTF-8", line(good("h")).replace(b'"c-h"', b'"c-\xff\xfeh"'),
     rv.INVALID_JSON),
    ("lone surrogate", line(good("h")).replace(b'"c-h"', b'"\\ud800"'), rv.UNREADABLE),
    ("binary garbage", bytes(range(256)).replace(b"\n", b"") * 4, rv.INVALID_JSON),
]


def write_file(path, lines: list[bytes]) -> str:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


def stored_payload(row) -> bytes:
    if row["payload_encoding"] == "base64":
        return base64.b64decode(row["payload"])
    assert row["payload_encoding"] == "utf-8"
    return row["payload"].encode()


@pytest.mark.parametrize(("name", "hostile", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_row_is_quarantined_and_the_rest_of_the_file_is_stored(
        warehouse, tmp_path, name, hostile, reason):
    init_warehouse(warehouse)
    # 25 rows in chunks of 10, the hostile one at line 16: before, the chunk was rolled back
    # and everything after it was lost (the 25,000 rows with line 15,001, scaled down).
    lines = [line(good(f"p{i}")) for i in range(24)]
    lines.insert(15, hostile)
    path = write_file(tmp_path / "p.jsonl", lines)
    report = ingest_file(warehouse, "predictions", path, rules=RULES, chunk_size=10)
    assert (report.received, report.accepted, report.quarantined) == (25, 24, 1)
    assert warehouse.scalar("select count(*) from raw.predictions") == 24
    row = warehouse.query_df("select * from raw.quarantine").iloc[0]
    assert row["reason"] == reason, row["error_detail"]
    assert row["line_number"] == 16
    assert stored_payload(row) == hostile  # byte for byte, NUL and non-UTF-8 included
    again = ingest_file(warehouse, "predictions", path, rules=RULES, chunk_size=10)
    assert (again.accepted, again.already_present, again.quarantined) == (0, 24, 1)
    assert warehouse.scalar("select count(*) from raw.quarantine") == 1


def test_one_hundred_rows_and_one_corrupt_line_store_one_hundred(warehouse, tmp_path):
    # The PostgreSQL case: the COPY of the quarantine failed and took the file with it.
    init_warehouse(warehouse)
    lines = [line(good(f"p{i}")) for i in range(100)] + [b"\x00\x01\x02binary\xff"]
    report = ingest_file(warehouse, "predictions", write_file(tmp_path / "p.jsonl", lines),
                         rules=RULES)
    assert (report.accepted, report.quarantined) == (100, 1)
    assert warehouse.scalar("select count(*) from raw.predictions") == 100
    assert warehouse.scalar("select payload_encoding from raw.quarantine") == "base64"


def test_a_binary_file_is_quarantined_line_by_line(warehouse, tmp_path):
    init_warehouse(warehouse)
    path = tmp_path / "p.jsonl"
    path.write_bytes(bytes(range(256)) * 8)  # eight newlines inside: 9 non-empty lines
    report = ingest_file(warehouse, "predictions", path, rules=RULES)
    assert report.accepted == 0 and report.quarantined == report.received > 0
    assert report.reasons == {rv.INVALID_JSON: report.received}


def test_non_utf8_csv_row_is_quarantined_with_its_bytes(warehouse, tmp_path):
    init_warehouse(warehouse)
    path = tmp_path / "p.csv"
    header = b"prediction_id,model_name,model_version,scored_at,features,score,decision\n"
    ok = b'p1,credit_risk,v1,2026-03-01T10:00:00Z,"{""age"": 3}",0.2,approved\n'
    bad = b'p2,credit_risk,v1,2026-03-01T10:00:00Z,"{""sex"": ""\xe9""}",0.2,approved\n'
    path.write_bytes(header + ok + bad)
    report = ingest_file(warehouse, "predictions", path, rules=RULES)
    assert (report.accepted, report.quarantined) == (1, 1)
    row = warehouse.query_df("select * from raw.quarantine").iloc[0]
    assert row["reason"] == rv.INVALID_JSON and b"\xe9" in stored_payload(row)


def test_reference_rows_with_nul_or_odd_values_do_not_stop_the_file(warehouse, tmp_path):
    from orchestration.ingest_reference import ingest_reference_file

    init_warehouse(warehouse)
    rows = [json.dumps({"row_id": f"r{i}", "age": 30 + i, "sex": "female"}).encode()
            for i in range(6)]
    rows.insert(2, json.dumps({"row_id": "nul", "age": 1, "sex": "f\u0000"}).encode())
    rows.insert(4, b'{"row_id": "big", "age": ' + BIG.encode() + b', "sex": "male"}')
    path = write_file(tmp_path / "ref.jsonl", rows)
    report, _ = ingest_reference_file(warehouse, path, model_name="credit_risk",
                                      model_version="v1", features=["age", "sex"])
    assert (report.received, report.quarantined) == (8, 1)
    assert report.reasons == {rv.CONTAINS_NUL: 1}
    assert warehouse.scalar("select count(distinct row_id) from raw.reference_sample") == 7


def test_init_adds_payload_encoding_to_an_older_quarantine(warehouse, tmp_path):
    init_warehouse(warehouse)
    warehouse.execute("alter table raw.quarantine drop column payload_encoding")
    init_warehouse(warehouse)  # a warehouse made before the column existed gets it
    report = ingest_file(warehouse, "predictions", write_file(tmp_path / "p.jsonl", [b"\xff"]),
                         rules=RULES)
    assert report.quarantined == 1
    assert warehouse.scalar("select payload_encoding from raw.quarantine") == "base64"


def test_a_row_the_warehouse_refuses_to_store_is_quarantined_alone(warehouse, tmp_path,
                                                                   monkeypatch):
    # Whatever the warehouse refuses at storing time (here: a load that fails whenever p7 is in
    # it), the chunk is split down to that one row, which is quarantined; the rest is stored.
    from orchestration import ingest_store

    real = ingest_store.load_arrow

    def refusing(conn, target, table, data):
        if table == "raw.predictions" and "p7" in data.column("prediction_id").to_pylist():
            raise RuntimeError("the warehouse refused p7")
        return real(conn, target, table, data)

    init_warehouse(warehouse)
    monkeypatch.setattr(ingest_store, "load_arrow", refusing)
    lines = [line(good(f"p{i}")) for i in range(20)]
    report = ingest_file(warehouse, "predictions", write_file(tmp_path / "p.jsonl", lines),
                         rules=RULES, chunk_size=8)
    assert (report.received, report.accepted, report.quarantined) == (20, 19, 1)
    row = warehouse.query_df("select * from raw.quarantine").iloc[0]
    assert (row["reason"], row["record_id"]) == (rv.UNREADABLE, "p7")
    assert "the warehouse refused p7" in row["error_detail"]
    assert stored_payload(row) == lines[7]


def test_a_reference_row_the_warehouse_refuses_is_quarantined_alone(warehouse, tmp_path,
                                                                    monkeypatch):
    # Before, a refused load of reference rows stopped the file; now the chunk is split down to
    # the row, as for predictions.
    from orchestration import ingest_reference

    real = ingest_reference.load_arrow

    def refusing(conn, target, table, data):
        if table == "raw.reference_sample" and "r3" in data.column("row_id").to_pylist():
            raise RuntimeError("the warehouse refused r3")
        return real(conn, target, table, data)

    init_warehouse(warehouse)
    monkeypatch.setattr(ingest_reference, "load_arrow", refusing)
    rows = [json.dumps({"row_id": f"r{i}", "age": 30 + i, "sex": "female"}).encode()
            for i in range(7)]
    path = write_file(tmp_path / "ref.jsonl", rows)
    report, _ = ingest_reference.ingest_reference_file(
        warehouse, path, model_name="credit_risk", model_version="v1", features=["age", "sex"],
        chunk_size=4)
    assert (report.received, report.accepted, report.quarantined) == (7, 6, 1)
    assert report.reasons == {rv.UNREADABLE: 1}
    assert warehouse.scalar("select count(distinct row_id) from raw.reference_sample") == 6
    row = warehouse.query_df("select * from raw.quarantine").iloc[0]
    assert "the warehouse refused r3" in row["error_detail"]
    assert stored_payload(row) == rows[3]
