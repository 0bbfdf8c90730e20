"""Ingestion of a model version's training rows into raw.reference_sample (long format).

The file is wide (one row per training row, one column per feature, optional `row_id`);
columns that are not features of the model in seeds/feature_schema.csv are left out and named.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

from models_ml.raw_validation import CONTAINS_NUL, NUL_DETAIL, UNREADABLE
from orchestration.ingest import file_sha256, record_batch
from orchestration.ingest_chunks import error_text
from orchestration.ingest_store import IngestReport, now_utc, rows_to_arrow, store_quarantine
from orchestration.raw_contract import reference_sample
from orchestration.readers import RawRecord, read_records
from orchestration.warehouse import Warehouse, load_arrow

NO_FEATURES = "reference_row_without_features"
NOT_AN_OBJECT = "record_not_an_object"


def _value_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _reference_chunk(conn: sa.Connection, target: str, chunk: list[RawRecord], *,
                     model: tuple[str, str], wanted: set[str], present: set[str],
                     batch_id: str, source_file: str) -> tuple[IngestReport, set[str], set[str]]:
    """Store one chunk inside the caller's transaction: (report, row ids stored, ignored)."""
    now = now_utc()
    report = IngestReport("reference_sample", batch_id, received=len(chunk))
    rows, bad, stored, ignored = [], [], set(), set()
    for record in chunk:
        if record.parse_error or not isinstance(record.value, dict):
            bad.append((record, NOT_AN_OBJECT, record.parse_error or "not an object", None))
            continue
        try:
            row_id = _value_text(record.value.get("row_id")) or str(record.line_number)
            ignored.update(str(k) for k in record.value if k not in wanted and k != "row_id")
            values = {k: _value_text(v) for k, v in record.value.items() if k in wanted}
            if any("\x00" in v for v in (row_id, *values.values()) if v is not None):
                bad.append((record, CONTAINS_NUL, f"a value {NUL_DETAIL}", None))
                continue
        except Exception as exc:  # no single row may stop a file
            bad.append((record, UNREADABLE, f"{type(exc).__name__}: {exc}"[:2000], None))
            continue
        if not values:
            bad.append((record, NO_FEATURES, "no column is a feature of the model", row_id))
            continue
        if row_id in present or row_id in stored:
            report.already_present += 1
            continue
        stored.add(row_id)
        rows.extend({"model_name": model[0], "model_version": model[1], "row_id": row_id,
                     "feature_name": k, "value": v, "batch_id": batch_id, "ingested_at": now}
                    for k, v in values.items())
        report.accepted += 1
    load_arrow(conn, target, "raw.reference_sample", rows_to_arrow(rows, reference_sample))
    store_quarantine(conn, target, "reference_sample", bad, batch_id=batch_id,
                     source_file=source_file, now=now)
    report.quarantined = len(bad)
    report.reasons.update(reason for _, reason, _, _ in bad)
    return report, stored, ignored


def _store_reference_chunk(conn: sa.Connection, target: str, chunk: list[RawRecord], *,
                           present: set[str], ignored: set[str], **context) -> IngestReport:
    """One transaction per chunk; a chunk the warehouse refuses is stored half by half, down to
    the one row it refuses, which is quarantined as unreadable (as predictions are)."""
    try:
        with conn.begin():
            report, stored, seen = _reference_chunk(conn, target, chunk, present=present,
                                                    **context)
    except Exception as exc:
        if len(chunk) > 1:
            half = len(chunk) // 2
            report = _store_reference_chunk(conn, target, chunk[:half], present=present,
                                            ignored=ignored, **context)
            report.add(_store_reference_chunk(conn, target, chunk[half:], present=present,
                                              ignored=ignored, **context))
            return report
        with conn.begin():
            store_quarantine(conn, target, "reference_sample",
                             [(chunk[0], UNREADABLE, error_text(exc), None)],
                             batch_id=context["batch_id"], source_file=context["source_file"],
                             now=now_utc())
        report = IngestReport("reference_sample", context["batch_id"], received=1,
                              quarantined=1)
        report.reasons[UNREADABLE] += 1
        return report
    present.update(stored)
    ignored.update(seen)
    return report


def ingest_reference_file(warehouse: Warehouse, path: str | Path, *, model_name: str,
                          model_version: str, features: list[str],
                          chunk_size: int = 20_000) -> tuple[IngestReport, list[str]]:
    """Store the training rows of one version; returns the report and the ignored columns."""
    batch_id = uuid.uuid4().hex
    started = now_utc()
    total = IngestReport("reference_sample", batch_id)
    ignored: set[str] = set()
    with warehouse.session() as conn:
        with conn.begin():
            present = {r[0] for r in conn.execute(sa.text(
                "select distinct row_id from raw.reference_sample "
                "where model_name = :m and model_version = :v"),
                {"m": model_name, "v": model_version})}
        for chunk in read_records(path, chunk_size):
            total.add(_store_reference_chunk(
                conn, warehouse.target, chunk, present=present, ignored=ignored,
                model=(model_name, model_version), wanted=set(features), batch_id=batch_id,
                source_file=str(path)))
        with conn.begin():
            record_batch(conn, total, source_file=str(Path(path).resolve()),
                         file_sha256=file_sha256(path), started_at=started)
    return total, sorted(ignored)
