"""Ingestion: validate records chunk by chunk, append good rows, quarantine bad ones.

A chunk is validated in bulk by an in-process DuckDB (models_ml.bulk_validation), which takes
the rows it is sure of; the row validator settles the rest, so the rules are the row
validator's. Every chunk is one transaction (orchestration.ingest_store), and no single row can
stop a file: a row that cannot be read, validated or stored is quarantined with the error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import sqlalchemy as sa

from models_ml.raw_validation import ContractRules
from orchestration.ingest_chunks import Chunk, Engine, Records, read_chunks, validated_ahead
from orchestration.ingest_store import IngestReport, now_utc, store_chunk
from orchestration.raw_contract import ingestion_batches
from orchestration.readers import RawRecord
from orchestration.warehouse import Warehouse

SOURCES = ("predictions", "feedback")
# Rows per transaction of a file. Each chunk looks its ids up among the stored ones, which on
# DuckDB is a scan of the table's id column (0.2 s at ten million rows): 100,000 rows a chunk
# keeps that under a tenth of the ingestion (10,000 made it half), and a kill still loses at
# most one chunk, which a re-run stores.
DEFAULT_CHUNK_SIZE = 100_000
CHECKPOINT_EVERY = "1GB"  # of write-ahead log, on DuckDB


def record_batch(conn: sa.Connection, report: IngestReport, *, source_file: str | None,
                 file_sha256: str | None, started_at: dt.datetime) -> None:
    """Log one ingestion and its counts in raw.ingestion_batches."""
    conn.execute(sa.insert(ingestion_batches).values(
        batch_id=report.batch_id, source=report.source, source_file=source_file,
        file_sha256=file_sha256, n_received=report.received, n_accepted=report.accepted,
        n_already_present=report.already_present, n_quarantined=report.quarantined,
        started_at=started_at, finished_at=now_utc()))


def ingest_records(warehouse: Warehouse, source: str,
                   chunks: Iterable[list[RawRecord] | Chunk], *,
                   rules: ContractRules, source_file: str | None = None,
                   file_sha256: str | Callable[[], str] | None = None,
                   progress: Callable[[IngestReport], None] | None = None) -> IngestReport:
    """Ingest chunks of records into raw.<source>; one transaction per chunk."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    batch_id = uuid.uuid4().hex
    total = IngestReport(source, batch_id)
    started = now_utc()
    # One connection for the whole file, one transaction per chunk: a crash loses at most the
    # chunk in flight, and a re-run skips what was stored.
    with (warehouse.session() as conn, tempfile.TemporaryDirectory(prefix="vigie-") as scratch,
          duckdb.connect(config={"threads": 2}) as con):
        engine = Engine(con, Path(scratch))
        if warehouse.target == "duckdb":
            # Checkpoint when the file is done, not every few chunks: each chunk still commits
            # (to the write-ahead log), so a kill loses at most the chunk in flight.
            conn.connection.driver_connection.execute(
                f"set checkpoint_threshold = '{CHECKPOINT_EVERY}'")
        chunks = (Records(c) if isinstance(c, list) else c for c in chunks)
        for chunk in validated_ahead(chunks, engine, source, rules):
            part = store_chunk(conn, warehouse.target, source, chunk, rules=rules,
                               batch_id=batch_id, source_file=source_file, engine=engine)
            total.add(part)
            if progress:
                progress(total)
        with conn.begin():
            record_batch(conn, total, source_file=source_file, started_at=started,
                         file_sha256=file_sha256() if callable(file_sha256) else file_sha256)
    return total


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(warehouse: Warehouse, source: str, path: str | Path, *, rules: ContractRules,
                chunk_size: int = DEFAULT_CHUNK_SIZE,
                progress: Callable[[IngestReport], None] | None = None) -> IngestReport:
    """Ingest a JSON Lines, CSV or Parquet file of predictions or feedback."""
    digest = hashlib.sha256()  # of the file, as the chunks read it (one pass over the file)
    return ingest_records(warehouse, source, read_chunks(path, chunk_size, digest), rules=rules,
                          source_file=str(Path(path).resolve()), file_sha256=digest.hexdigest,
                          progress=progress)
