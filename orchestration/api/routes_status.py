"""GET /v1/health and GET /v1/models/{model_name}/status, read from the warehouse."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status

from orchestration.api import status as reads
from orchestration.api.auth import require_token
from orchestration.api.schemas import Alert, Health, ModelStatus
from orchestration.warehouse import WarehouseError

router = APIRouter(prefix="/v1", tags=["status"], dependencies=[Depends(require_token)])


@router.get("/health", response_model=Health,
            responses={503: {"description": "The warehouse does not answer."}},
            summary="The warehouse answers; the latest ingestion of each source")
def health(request: Request) -> Health:
    warehouse = request.app.state.warehouse
    try:
        last = reads.last_ingestions(warehouse)
    except WarehouseError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, _first_line(exc)) from None
    return Health(status="ok", target=warehouse.target, last_ingestions=last)


@router.get("/models/{model_name}/status", response_model=ModelStatus,
            responses={404: {"description": "No such model in marts.model_versions."},
                       503: {"description": "The marts are not built, or the warehouse does "
                                            "not answer."}},
            summary="Production version, latest drift, four-fifths verdicts, last decision")
def model_status(model_name: str, request: Request) -> ModelStatus:
    try:
        return ModelStatus(**reads.model_status(request.app.state.warehouse, model_name))
    except reads.UnknownModel as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except WarehouseError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, _first_line(exc)) from None


@router.get("/alerts", response_model=list[Alert],
            responses={503: {"description": "marts.alerts is not built, or the warehouse does "
                                            "not answer."}},
            summary="The alerts of marts.alerts, newest first (the webhook's list)")
def alerts(request: Request, model_name: str | None = None,
           delivery_status: Literal["sent", "suppressed", "to_send", "to_suppress"] | None = None,
           limit: int = Query(100, ge=1, le=1000)) -> list[Alert]:
    try:
        return [Alert(**row) for row in reads.alerts(
            request.app.state.warehouse, model_name=model_name,
            delivery_status=delivery_status, limit=limit)]
    except WarehouseError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, _first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
