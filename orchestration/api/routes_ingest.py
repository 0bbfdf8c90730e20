"""POST /v1/predictions and /v1/feedback: rows through the file ingestion's validation,
quarantine and idempotence (orchestration.ingest.ingest_records)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse

from orchestration.api.auth import require_token
from orchestration.api.payloads import (
    BodyNotJson,
    UnsupportedContentType,
    body_records,
)
from orchestration.api.schemas import IngestAnswer, NotJsonAnswer
from orchestration.api.writer import Counts
from orchestration.readers import RawRecord
from orchestration.warehouse import WarehouseError

ERR_TOO_LARGE = "the body is over {limit:,} bytes: send the rows in smaller requests"
ERR_WAREHOUSE = "the warehouse refused the write ({reason}); send the request again: rows " \
                "already stored count as duplicates"

router = APIRouter(prefix="/v1", tags=["ingestion"], dependencies=[Depends(require_token)])

BODY_DOC = {
    "requestBody": {
        "required": True,
        "description": "One object, an array of objects (application/json), or one object per "
                       "line (application/x-ndjson).",
        "content": {
            "application/json": {"schema": {"oneOf": [{"type": "object"},
                                                      {"type": "array",
                                                       "items": {"type": "object"}}]}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
}
RESPONSES = {
    400: {"model": NotJsonAnswer, "description": "Not JSON: the body is quarantined."},
    401: {"description": "Missing or wrong bearer token: nothing written."},
    413: {"description": "Body over the configured size: nothing written."},
    415: {"description": "Content type neither JSON nor NDJSON: nothing written."},
    503: {"description": "The warehouse refused the write: send it again."},
}


@router.post("/predictions", response_model=IngestAnswer, responses=RESPONSES,
             openapi_extra=BODY_DOC, summary="Ingest logged predictions (raw.predictions)")
async def post_predictions(request: Request):
    return await ingest_request(request, "predictions")


@router.post("/feedback", response_model=IngestAnswer, responses=RESPONSES,
             openapi_extra=BODY_DOC, summary="Ingest labels, ratings and events (raw.feedback)")
async def post_feedback(request: Request):
    return await ingest_request(request, "feedback")


async def ingest_request(request: Request, source: str):
    settings = request.app.state.settings
    try:
        records = body_records(request.headers.get("content-type"),
                               await read_limited(request, settings.max_body_bytes))
    except UnsupportedContentType as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    except BodyNotJson as exc:
        counts = await write(request, source, exc.records)
        return JSONResponse(status_code=status.HTTP_400_BAD_REQUEST,
                            content={"detail": str(exc), **answer(counts).model_dump()})
    return answer(await write(request, source, records))


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (before it is parsed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            ERR_TOO_LARGE.format(limit=limit))
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                                ERR_TOO_LARGE.format(limit=limit))
        parts.append(part)
    return b"".join(parts)


async def write(request: Request, source: str, records: list[RawRecord]) -> Counts:
    if not records:
        return Counts(0, 0, 0, 0, {})
    try:
        return await request.app.state.writer.submit(source, records)
    except WarehouseError as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            ERR_WAREHOUSE.format(reason=reason)) from None


def answer(counts: Counts) -> IngestAnswer:
    return IngestAnswer(received=counts.received, accepted=counts.accepted,
                        duplicates=counts.duplicates, quarantined=counts.quarantined,
                        quarantine_reasons=counts.reasons)
