"""The two shapes a chunk of records comes in, seen alike by ingestion: lines of a JSON Lines
file as read (parsed only when the row-by-row validator needs one), or parsed records (CSV,
Parquet, the simulator, the HTTP API). Each gives its records' JSON texts to the bulk
validator and, for the few rows it does not take, the record itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from models_ml.bulk_validation import LENIENT_JSON, SCHEMAS, validate_file, validate_lines
from models_ml.raw_validation import (
    UNREADABLE,
    ContractRules,
    Rejected,
    record_hash,
    validate_feedback,
    validate_prediction,
)
from orchestration.readers import RawRecord, check_readable, parse_json_line, read_records

LINES_PER_QUERY = 50_000
SMALL_CHUNK = 64  # rows; below it the row validator is faster than planning a bulk query
ID_COLUMN = {"predictions": "prediction_id", "feedback": "feedback_id"}
VALIDATORS = {"predictions": validate_prediction, "feedback": validate_feedback}

# Bytes that DuckDB's JSON reader would take and Python's would not: such a chunk is validated
# line by line (each line checked on its own), not read as a file.
LENIENT_BYTES = re.compile(LENIENT_JSON.encode())


@dataclass
class Lines:
    """Non-empty lines of a JSON Lines file, stripped, with their line numbers."""

    numbers: list[int]
    texts: list[bytes]
    # The rows the bulk path took, when validated ahead with the lines around them.
    taken: pa.Table | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, part: slice) -> Lines:
        return Lines(self.numbers[part], self.texts[part])  # validated again, on its own

    def record(self, k: int) -> RawRecord:
        return parse_json_line(self.numbers[k], self.texts[k])

    def line_number(self, k: int) -> int:
        return self.numbers[k]

    def as_file_bytes(self) -> bytes | None:
        """The lines as one JSON Lines block for DuckDB's reader, or None when some line holds
        what its reader is more lenient about than Python's (then each line is checked)."""
        block = b"\n".join(self.texts) + b"\n"
        return None if LENIENT_BYTES.search(block) else block

    def json_texts(self) -> pa.Array:
        return _utf8(self.texts)


@dataclass
class Records:
    """Parsed records (their payload: the JSON text received, or the row as JSON)."""

    records: list[RawRecord]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, part: slice) -> Records:
        return Records(self.records[part])

    def record(self, k: int) -> RawRecord:
        return self.records[k]

    def line_number(self, k: int) -> int:
        return self.records[k].line_number

    def as_file_bytes(self) -> None:
        return None

    def json_texts(self) -> pa.Array:
        # A record that could not be parsed has no JSON text: the row path quarantines it.
        return _utf8([None if r.parse_error is not None else r.payload for r in self.records])


Chunk = Lines | Records


def _utf8(texts: list) -> pa.Array:
    """The texts as an Arrow string array; a text that is not valid UTF-8 becomes null."""
    try:
        return pa.array(texts, pa.binary()).cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError):
        return pa.array([_decoded(t) for t in texts], pa.string())


def _decoded(text: str | bytes | None) -> str | None:
    try:
        value = text.decode("utf-8") if isinstance(text, bytes) else text
        if value is not None:
            value.encode("utf-8")  # a lone surrogate (from a JSON escape) cannot be stored
        return value
    except UnicodeError:
        return None


def read_lines(path: Path, chunk_size: int, digest=None) -> Iterator[Lines]:
    """Chunks of a JSON Lines file's non-empty lines; `digest` (a hashlib object) is fed the
    file's bytes as they are read, so the file is read once."""
    numbers: list[int] = []
    texts: list[bytes] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if digest is not None:
                digest.update(line)
            text = line.strip()
            if not text:
                continue
            numbers.append(number)
            texts.append(text)
            if len(texts) >= chunk_size:
                yield Lines(numbers, texts)
                numbers, texts = [], []
    if texts:
        yield Lines(numbers, texts)


def read_chunks(path: str | Path, chunk_size: int, digest=None) -> Iterator[Chunk]:
    """Chunks of at most `chunk_size` records of a JSON Lines, CSV or Parquet file; `digest`,
    if given, has seen the whole file once the chunks are read."""
    path = Path(path)
    if check_readable(path) == "jsonl":
        return read_lines(path, chunk_size, digest)
    if digest is not None:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return (Records(chunk) for chunk in read_records(path, chunk_size))


@dataclass
class Engine:
    """The in-process DuckDB that validates chunks in bulk, and a directory for its files."""

    con: duckdb.DuckDBPyConnection
    scratch: Path


def bulk_taken(engine: Engine, source: str, chunk: Chunk, rules: ContractRules) -> pa.Table:
    """The rows of the chunk the bulk path takes, read as a file by DuckDB when it can be; none
    of a chunk too small to pay for a query (one HTTP request's rows): the row validator's."""
    if len(chunk) < SMALL_CHUNK:
        return SCHEMAS[source].empty_table()
    block = chunk.as_file_bytes()
    if block is not None:
        path = engine.scratch / "chunk.jsonl"
        path.write_bytes(block)
        try:
            return validate_file(engine.con, source, str(path), rules)
        except duckdb.Error:  # a line DuckDB's reader refuses: each line is checked on its own
            pass
    lines = pa.table({"i": pa.array(range(len(chunk)), pa.int64()), "line": chunk.json_texts()})
    return validate_lines(engine.con, source, lines, rules)


def validated_ahead(chunks: Iterator[Chunk], engine: Engine, source: str, rules: ContractRules,
                    lines_per_query: int = LINES_PER_QUERY) -> Iterator[Chunk]:
    """The chunks, those of a JSON Lines file validated in bulk several at a time (a DuckDB
    query costs about as much to plan as to run on ten thousand rows); each is still stored in
    a transaction of its own."""
    group: list[Lines] = []
    for chunk in chunks:
        if not isinstance(chunk, Lines):
            yield from _with_taken(group, engine, source, rules)
            group = []
            yield chunk
            continue
        group.append(chunk)
        if sum(len(c) for c in group) >= lines_per_query:
            yield from _with_taken(group, engine, source, rules)
            group = []
    yield from _with_taken(group, engine, source, rules)


def _with_taken(group: list[Lines], engine: Engine, source: str,
                rules: ContractRules) -> Iterator[Lines]:
    if not group:
        return
    taken = bulk_taken(engine, source, Lines([n for c in group for n in c.numbers],
                                             [t for c in group for t in c.texts]), rules)
    index, start = taken.column("i"), 0
    for chunk in group:
        mine = pc.and_(pc.greater_equal(index, start), pc.less(index, start + len(chunk)))
        part = taken.filter(mine)
        at = part.schema.get_field_index("i")
        chunk.taken = part.set_column(at, "i", pc.subtract(part.column("i"), start))
        start += len(chunk)
        yield chunk


def validate_chunk(engine: Engine, source: str, chunk: Chunk, rules: ContractRules,
                   ) -> tuple[pa.Table, list[tuple[RawRecord, str, str, str | None]]]:
    """(valid rows with `i` and record_hash, rejected records): the bulk path first, then the
    row validator for each row the bulk path was not sure of."""
    valid = getattr(chunk, "taken", None)
    if valid is None:
        valid = bulk_taken(engine, source, chunk, rules)
    sure = set(valid.column("i").to_pylist())
    rows, bad = [], []
    validate, id_column = VALIDATORS[source], ID_COLUMN[source]
    for k in range(len(chunk)):
        if k in sure:
            continue
        record = chunk.record(k)
        if record.parse_error is not None:
            bad.append((record, record.parse_reason, record.parse_error, None))
            continue
        try:
            row = validate(record.value, rules)
            row["record_hash"] = record_hash(row)
        except Rejected as exc:
            bad.append((record, exc.reason, exc.detail, record_id_of(record, id_column)))
            continue
        except Exception as exc:  # no single row may stop a file: it is quarantined, with why
            bad.append((record, UNREADABLE, error_text(exc), record_id_of(record, id_column)))
            continue
        rows.append({**row, "i": k})
    if rows:
        valid = pa.concat_tables([valid, pa.Table.from_pylist(rows, schema=valid.schema)])
    return valid, bad


def error_text(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}"[:2000]


def record_id_of(record: RawRecord, id_column: str) -> str | None:
    value = record.value.get(id_column) if isinstance(record.value, dict) else None
    return None if value is None else str(value)[:500]
