"""One chunk into the warehouse: validated, de-duplicated by id against the rows already
stored, written in the caller's transaction; what cannot be stored goes to raw.quarantine.

A chunk the warehouse refuses is split in halves down to the one row it refuses, so no single
row can stop a file. Counts always add up: received = accepted + already present (same id, same
content: a harmless repeat) + quarantined.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from models_ml.raw_validation import DUPLICATE_CONFLICT, UNREADABLE, ContractRules
from orchestration.ingest_chunks import (
    ID_COLUMN,
    Chunk,
    Engine,
    error_text,
    record_id_of,
    validate_chunk,
)
from orchestration.raw_contract import feedback, predictions, quarantine
from orchestration.warehouse import WarehouseError, load_arrow

TABLES = {"predictions": predictions, "feedback": feedback}


@dataclass
class IngestReport:
    """What one ingestion did, as printed by the CLI and stored in raw.ingestion_batches."""

    source: str
    batch_id: str
    received: int = 0
    accepted: int = 0
    already_present: int = 0
    quarantined: int = 0
    orphans: int = 0
    reasons: Counter = field(default_factory=Counter)

    def add(self, other: IngestReport) -> None:
        self.received += other.received
        self.accepted += other.accepted
        self.already_present += other.already_present
        self.quarantined += other.quarantined
        self.orphans += other.orphans
        self.reasons.update(other.reasons)

    def summary(self) -> str:
        text = (f"{self.source}: received {self.received:,} · accepted {self.accepted:,} · "
                f"duplicates {self.already_present:,} · quarantined {self.quarantined:,}")
        if self.reasons:
            text += " (" + ", ".join(f"{r} {n:,}" for r, n in self.reasons.most_common()) + ")"
        if self.orphans:
            text += f" · {self.orphans:,} feedback rows for predictions not yet known (kept)"
        return text


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def quarantine_id(source: str, reason: str, payload: str | bytes) -> str:
    raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
    return hashlib.sha256(f"{source}\x1f{reason}\x1f".encode() + raw).hexdigest()


def encode_payload(payload: str | bytes) -> tuple[str, str]:
    """(stored text, encoding): the text itself when any warehouse can hold it, else base64."""
    if isinstance(payload, str) and "\x00" not in payload:
        try:
            payload.encode("utf-8")
            return payload, "utf-8"
        except UnicodeEncodeError:  # a lone surrogate read from a JSON escape
            pass
    raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
    return base64.b64encode(raw).decode("ascii"), "base64"


def storable_text(value: object) -> str | None:
    """Text any warehouse accepts (NUL and lone surrogates escaped): for ids and error details."""
    if value is None:
        return None
    text = str(value).replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _existing(conn: sa.Connection, target: str, table: str, key: str, value_column: str,
              keys: list[str]) -> dict[str, str]:
    """key → value_column for the rows of `table` whose `key` is among `keys`."""
    if not keys:
        return {}
    if target == "duckdb":
        raw = conn.connection.driver_connection
        raw.register("_vigie_keys", pa.table({"k": pa.array(keys, pa.string())}))
        try:
            rows = raw.execute(f"select t.{key}, t.{value_column} from {table} t "
                               f"join _vigie_keys on t.{key} = _vigie_keys.k").fetchall()
        finally:
            raw.unregister("_vigie_keys")
    elif target == "spark":
        from orchestration.spark_connection import keyed_rows
        rows = keyed_rows(conn.spark, table, key, value_column, keys)
    else:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(f"select {key}, {value_column} from {table} where {key} = any(%s)", (keys,))
        rows = cursor.fetchall()
    return dict(rows)


def rows_to_arrow(rows: list[dict], table: sa.Table) -> pa.Table:
    names = [c.name for c in table.columns]
    return pa.table({n: [r.get(n) for r in rows] for n in names})


def _stored_hashes(conn, target, table, key, keys: list[str]) -> pa.Table:
    stored = _existing(conn, target, table, key, "record_hash", keys)
    return pa.table({"k": pa.array(list(stored), pa.string()),
                     "h": pa.array(list(stored.values()), pa.string())})


def _ranked(engine: Engine, valid: pa.Table, stored: pa.Table, id_column: str) -> pa.Table:
    """Each valid row with its rank among the chunk's rows of its id, the first one's hash and
    index, and the hash stored for it. The first row of an id is stored unless it is already;
    a later one with the same hash is a harmless repeat, with another hash a conflict (so is a
    stored other hash)."""
    n = valid.num_rows
    if stored.num_rows == 0 and pc.count_distinct(valid.column(id_column)).as_py() == n:
        # The common case, a chunk of new ids: nothing to rank.
        return (valid.append_column("rank", pa.array([1] * n, pa.int64()))
                .append_column("first_hash", valid.column("record_hash"))
                .append_column("first_i", valid.column("i"))
                .append_column("stored_hash", pa.nulls(n, pa.string())))
    for name, table in (("_vigie_valid", valid), ("_vigie_stored", stored)):
        engine.con.register(name, table)
    try:
        return engine.con.sql(f"""
            select v.*, row_number() over w as rank, first_value(v.record_hash) over w
                as first_hash, first_value(v.i) over w as first_i, s.h as stored_hash
            from _vigie_valid v left join _vigie_stored s on s.k = v.{id_column}
            window w as (partition by v.{id_column} order by v.i)
            order by v.i""").to_arrow_table()
    finally:
        for name in ("_vigie_valid", "_vigie_stored"):
            engine.con.unregister(name)


def ingest_chunk(conn: sa.Connection, target: str, source: str, chunk: Chunk, *,
                 rules: ContractRules, batch_id: str, source_file: str | None,
                 engine: Engine) -> IngestReport:
    """Validate, de-duplicate and store one chunk inside the caller's transaction."""
    report = IngestReport(source, batch_id, received=len(chunk))
    id_column, table_name = ID_COLUMN[source], f"raw.{source}"
    now = now_utc()
    valid, bad = validate_chunk(engine, source, chunk, rules)
    stored = _stored_hashes(conn, target, table_name, id_column,
                            pc.unique(valid.column(id_column)).to_pylist())
    ranked = _ranked(engine, valid, stored, id_column)
    first = pc.equal(ranked.column("rank"), 1)
    same_as_first = pc.equal(ranked.column("record_hash"), ranked.column("first_hash"))
    stored_hash = ranked.column("stored_hash")
    new = pc.and_(first, pc.is_null(stored_hash))
    same_stored = pc.fill_null(pc.equal(stored_hash, ranked.column("record_hash")), False)
    report.already_present = (pc.sum(pc.and_(pc.invert(first), same_as_first)).as_py() or 0) + (
        pc.sum(pc.and_(first, same_stored)).as_py() or 0)
    conflicts = ranked.filter(pc.or_(pc.and_(pc.invert(first), pc.invert(same_as_first)),
                                     pc.and_(first, pc.and_(pc.is_valid(stored_hash),
                                                            pc.invert(same_stored)))))
    for row in conflicts.select(["i", id_column, "rank", "first_i"]).to_pylist():
        key = row[id_column]
        detail = (f"{id_column}={key!r} repeats line {chunk.line_number(row['first_i'])} with "
                  "other content" if row["rank"] > 1
                  else f"{id_column}={key!r} is already stored with other content")
        bad.append((chunk.record(row["i"]), DUPLICATE_CONFLICT, detail, key))
    to_insert = ranked.filter(new)

    if source == "feedback":
        # The column even when no row is new: a chunk of duplicates only must store nothing,
        # not fail (it did, and each of its rows went to quarantine as unreadable).
        prediction_ids = pc.unique(to_insert.column("prediction_id")).to_pylist()
        known = _existing(conn, target, "raw.predictions", "prediction_id", "prediction_id",
                          prediction_ids)
        orphan = pc.invert(pc.is_in(to_insert.column("prediction_id"),
                                    pa.array(list(known), pa.string())))
        to_insert = to_insert.append_column("is_orphan_at_ingestion", orphan)
        report.orphans = pc.sum(orphan).as_py() or 0

    n = to_insert.num_rows
    to_insert = to_insert.append_column("batch_id", pa.array([batch_id] * n, pa.string()))
    to_insert = to_insert.append_column("ingested_at", pa.array([now] * n, pa.timestamp("us")))
    load_arrow(conn, target, table_name,
               to_insert.select([c.name for c in TABLES[source].columns]))
    report.accepted = n
    store_quarantine(conn, target, source, bad, batch_id=batch_id, source_file=source_file, now=now)
    report.quarantined = len(bad)
    report.reasons.update(reason for _, reason, _, _ in bad)
    return report


def store_chunk(conn: sa.Connection, target: str, source: str, chunk: Chunk, *,
                rules: ContractRules, batch_id: str, source_file: str | None,
                engine: Engine) -> IngestReport:
    """Store a chunk in one transaction; if the warehouse refuses it, store each half on its
    own, down to the one row it refuses, which goes to quarantine as unreadable.

    A retry also settles a race with a concurrent ingest of the same ids: the rows the other
    one stored meanwhile are found and counted as duplicates.
    """
    try:
        with conn.begin():
            return ingest_chunk(conn, target, source, chunk, rules=rules, batch_id=batch_id,
                                source_file=source_file, engine=engine)
    except Exception as exc:
        if _connection_lost(conn):
            raise WarehouseError(f"lost the {target} warehouse while ingesting {source}: "
                                 f"{error_text(exc)}") from exc
        if len(chunk) > 1:
            half = len(chunk) // 2
            report = store_chunk(conn, target, source, chunk[:half], rules=rules,
                                 batch_id=batch_id, source_file=source_file, engine=engine)
            report.add(store_chunk(conn, target, source, chunk[half:], rules=rules,
                                   batch_id=batch_id, source_file=source_file, engine=engine))
            return report
        error = exc
    # One row the warehouse will not take. A retry first: a concurrent ingest may have stored
    # the same id meanwhile, which makes it a duplicate, not a fault.
    try:
        with conn.begin():
            return ingest_chunk(conn, target, source, chunk, rules=rules, batch_id=batch_id,
                                source_file=source_file, engine=engine)
    except Exception as exc:
        error = exc
    record = chunk.record(0)
    with conn.begin():
        store_quarantine(conn, target, source,
                         [(record, UNREADABLE, error_text(error),
                           record_id_of(record, ID_COLUMN.get(source, "")))],
                         batch_id=batch_id, source_file=source_file, now=now_utc())
    report = IngestReport(source, batch_id, received=1, quarantined=1)
    report.reasons[UNREADABLE] += 1
    return report


def _connection_lost(conn: sa.Connection) -> bool:
    if conn.invalidated or conn.closed:
        return True
    try:
        with conn.begin():
            conn.execute(sa.text("select 1"))
    except Exception:
        return True
    return False


def store_quarantine(conn, target, source, bad, *, batch_id, source_file, now) -> None:
    """Store rejected records once each (the id hashes source, reason and payload)."""
    rows = {}
    for record, reason, detail, record_id in bad:
        qid = quarantine_id(source, reason, record.payload)
        payload, encoding = encode_payload(record.payload)
        rows.setdefault(qid, {
            "quarantine_id": qid, "source": source, "batch_id": batch_id,
            "source_file": storable_text(source_file), "line_number": record.line_number,
            "record_id": storable_text(record_id), "reason": reason,
            "error_detail": storable_text(detail)[:2000], "payload": payload,
            "payload_encoding": encoding, "quarantined_at": now,
        })
    present = _existing(conn, target, "raw.quarantine", "quarantine_id", "quarantine_id",
                        list(rows))
    fresh = [r for q, r in rows.items() if q not in present]
    load_arrow(conn, target, "raw.quarantine", rows_to_arrow(fresh, quarantine))
