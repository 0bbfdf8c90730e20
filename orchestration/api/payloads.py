"""A request body as ingestion records: one JSON object, a JSON array of them, or NDJSON.

Lines and documents are parsed by the file reader's own `parse_json_line`, so a body and a
JSON Lines file of the same rows give the same records, the same errors and the same
quarantine reasons.
"""

from __future__ import annotations

import json

from orchestration.readers import RawRecord, parse_json_line

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl",
                          "application/x-jsonlines", "application/jsonlines"})
ERR_CONTENT_TYPE = ("content type {given!r} is not accepted: send application/json (one object "
                    "or an array of objects) or application/x-ndjson (one object per line)")
ERR_EMPTY = "the body is empty: send one JSON object, an array of them, or NDJSON lines"
ERR_NOT_JSON = "the body is not JSON ({reason}); it is kept in raw.quarantine"
ERR_NO_JSON_LINE = "no line of the NDJSON body is JSON; every line is kept in raw.quarantine"


class UnsupportedContentType(ValueError):
    """The body's media type is neither JSON nor NDJSON."""


class BodyNotJson(ValueError):
    """Nothing in the body is JSON; `records` are what to quarantine (the body, or its lines)."""

    def __init__(self, message: str, records: list[RawRecord]):
        super().__init__(message)
        self.records = records


def media_type(content_type: str | None) -> str:
    """'application/json' from 'Application/JSON; charset=utf-8'."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def body_records(content_type: str | None, body: bytes) -> list[RawRecord]:
    """The records of a body; raises UnsupportedContentType or BodyNotJson (empty body too)."""
    kind = media_type(content_type)
    if kind not in JSON_TYPES | NDJSON_TYPES:
        raise UnsupportedContentType(ERR_CONTENT_TYPE.format(given=content_type or ""))
    if not body.strip():
        raise BodyNotJson(ERR_EMPTY, [])
    if kind in NDJSON_TYPES:
        return ndjson_records(body)
    return json_records(body)


def json_records(body: bytes) -> list[RawRecord]:
    """One record for an object (or any other JSON value), one per element for an array."""
    document = parse_json_line(1, body.strip())
    if document.parse_error is not None:
        raise BodyNotJson(ERR_NOT_JSON.format(reason=document.parse_error), [document])
    if not isinstance(document.value, list):
        return [document]
    # An element's position in the array stands for its line number in raw.quarantine.
    return [RawRecord(number, element_payload(value), value)
            for number, value in enumerate(document.value, start=1)]


def ndjson_records(body: bytes) -> list[RawRecord]:
    """One record per non-blank line, as a JSON Lines file is read; bad lines are records too."""
    records = [parse_json_line(number, line.strip())
               for number, line in enumerate(body.split(b"\n"), start=1) if line.strip()]
    if all(r.parse_error is not None for r in records):
        raise BodyNotJson(ERR_NO_JSON_LINE, records)
    return records


def element_payload(value: object) -> str:
    """An array element written back as JSON text (NaN kept as NaN, as it was sent)."""
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=True, separators=(",", ":"))
    except (RecursionError, ValueError):  # nested deeper than Python's json writes back
        return repr(value)
