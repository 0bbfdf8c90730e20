"""Streaming readers for JSON Lines, CSV and Parquet: chunks of records, never a whole file."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow.parquet as pq

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv",
           ".parquet": "parquet", ".pq": "parquet"}
ERR_NO_FILE = "no such file: {path}"
ERR_FORMAT = "unknown format for {path}: use .jsonl/.ndjson/.json, .csv or .parquet"
ERR_UNREADABLE = "cannot read {path} as {fmt}: {reason}"

# One CSV field may hold a whole features object: lift the csv module's 128 KiB default.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class ReaderError(ValueError):
    """The file cannot be read at all (missing, unknown format, corrupt container)."""


@dataclass(frozen=True)
class RawRecord:
    """One input row: where it was, its original text, and the parsed value (or why not)."""

    line_number: int
    payload: str
    value: object = None
    parse_error: str | None = None


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ReaderError(ERR_FORMAT.format(path=path))
    return fmt


def read_records(path: str | Path, chunk_size: int = 50_000) -> Iterator[list[RawRecord]]:
    """Chunks of at most `chunk_size` records from a JSON Lines, CSV or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise ReaderError(ERR_NO_FILE.format(path=path))
    fmt = detect_format(path)
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[fmt]
    return _chunked(reader(path), chunk_size)


def _chunked(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    chunk: list[RawRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read_jsonl(path: Path) -> Iterator[RawRecord]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            payload = text.decode("utf-8", errors="replace")
            try:
                yield RawRecord(number, payload, orjson.loads(text))
            except orjson.JSONDecodeError as exc:
                # NaN and Infinity are not JSON, but serving systems write them (Python's json
                # does): read them so the contract can say "score not finite", not "bad JSON".
                try:
                    yield RawRecord(number, payload, json.loads(text))
                except ValueError:
                    yield RawRecord(number, payload, parse_error=f"not valid JSON ({exc})")


def _read_csv(path: Path) -> Iterator[RawRecord]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        for row in reader:
            number = reader.line_num
            extra = row.pop(None, None)
            # DictReader pads a short row with None (an empty field is ""), so None means short.
            short = any(v is None for v in row.values())
            payload = orjson.dumps(row if extra is None else {**row, "_extra": extra}).decode()
            if extra is not None or short:
                yield RawRecord(number, payload,
                                parse_error=f"row does not have the header's "
                                            f"{len(reader.fieldnames)} fields")
                continue
            value = {k: (v if v != "" else None) for k, v in row.items()}
            yield RawRecord(number, payload, value)


def _read_parquet(path: Path) -> Iterator[RawRecord]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt container
        raise ReaderError(ERR_UNREADABLE.format(path=path, fmt="parquet", reason=exc)) from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=50_000):
        for row in batch.to_pylist():
            number += 1
            yield RawRecord(number, orjson.dumps(row, default=str).decode(), row)
