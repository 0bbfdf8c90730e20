"""Streaming readers for JSON Lines, CSV and Parquet: chunks of records, never a whole file."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow.parquet as pq

from models_ml.raw_validation import INVALID_JSON, UNREADABLE

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
    """One input row: where it was, what it was as received, and the parsed value (or why not).

    `payload` is text when the input was UTF-8, and the bytes as read when it was not, so the
    quarantine can keep every row byte for byte.
    """

    line_number: int
    payload: str | bytes
    value: object = None
    parse_error: str | None = None
    # Why it could not be parsed, as a raw.quarantine reason (bad JSON, or JSON too deep to read).
    parse_reason: str = INVALID_JSON


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ReaderError(ERR_FORMAT.format(path=path))
    return fmt


def check_readable(path: str | Path) -> str:
    """The file's format, or ReaderError when it is missing or of no known format."""
    path = Path(path)
    if not path.is_file():
        raise ReaderError(ERR_NO_FILE.format(path=path))
    return detect_format(path)


def read_records(path: str | Path, chunk_size: int = 50_000) -> Iterator[list[RawRecord]]:
    """Chunks of at most `chunk_size` records from a JSON Lines, CSV or Parquet file."""
    path = Path(path)
    fmt = check_readable(path)
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
            yield parse_json_line(number, text)


def parse_json_line(number: int, text: bytes) -> RawRecord:
    """One JSON Lines record; never raises, whatever the bytes."""
    try:
        payload = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RawRecord(number, text, parse_error=f"not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        return RawRecord(number, payload, orjson.loads(text))
    except orjson.JSONDecodeError as exc:
        error = exc
    # NaN and Infinity are not JSON, but serving systems write them (Python's json does): read
    # them so the contract can say "score not finite", not "bad JSON". Python's json also reads
    # integers past 64 bits, which the contract then refuses by name.
    try:
        return RawRecord(number, payload, json.loads(text))
    except ValueError:
        return RawRecord(number, payload, parse_error=f"not valid JSON ({error})")
    except Exception as exc:  # RecursionError for JSON nested deeper than Python can follow
        return RawRecord(number, payload, parse_error=f"cannot read this JSON ({error}; "
                                                      f"{type(exc).__name__})",
                         parse_reason=UNREADABLE)


def _read_csv(path: Path) -> Iterator[RawRecord]:
    # surrogateescape keeps bytes that are not UTF-8, so a bad row can be stored as it came.
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            return
        for row in reader:
            number = reader.line_num
            extra = row.pop(None, None)
            if any(_not_utf8(v) for v in (*row.values(), *(extra or ()))):
                yield RawRecord(number, _csv_bytes(row, extra),
                                parse_error="row is not valid UTF-8")
                continue
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


def _not_utf8(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _csv_bytes(row: dict, extra: list | None) -> bytes:
    """The row's fields written back as one CSV line, in the bytes they were read as."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([v for v in (*row.values(), *(extra or ())) if v is not None])
    return buffer.getvalue().rstrip("\r\n").encode("utf-8", errors="surrogateescape")


def _read_parquet(path: Path) -> Iterator[RawRecord]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt container
        raise ReaderError(ERR_UNREADABLE.format(path=path, fmt="parquet", reason=exc)) from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=50_000):
        for row in batch.to_pylist():
            number += 1
            try:
                payload = orjson.dumps(row, default=str).decode()
            except Exception:  # a value orjson cannot write: keep Python's rendering of it
                payload = repr(row)
            yield RawRecord(number, payload, row)
