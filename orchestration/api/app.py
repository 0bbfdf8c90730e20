"""The FastAPI application of `vigie serve`: `create_app(settings)`, also a uvicorn factory
(`uvicorn --factory orchestration.api.app:create_app`, settings from the environment)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from orchestration.api import routes_ingest, routes_status
from orchestration.api.settings import ApiSettings
from orchestration.api.writer import DirectWriter, Ingestor, QueuedWriter
from orchestration.seed_config import contract_rules
from orchestration.warehouse import Warehouse
from orchestration.warehouse_init import init_warehouse

DESCRIPTION = """Predictions and feedback from a serving system, validated as `vigie ingest`
validates files: good rows go to `raw.predictions` / `raw.feedback`, bad ones to
`raw.quarantine` with the reason, a repeat of a stored row counts as a duplicate. Every route
asks for `Authorization: Bearer $VIGIE_API_TOKEN`."""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The app; nothing touches the warehouse until it starts (its lifespan)."""
    settings = settings or ApiSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        warehouse = Warehouse(settings.warehouse)
        init_warehouse(warehouse)  # as `vigie ingest` does: the raw tables exist before a write
        ingest = Ingestor(warehouse, contract_rules(settings.warehouse.project_dir))
        writer = (QueuedWriter(ingest, max_rows=settings.batch_max_rows,
                               queue_size=settings.queue_size)
                  if warehouse.target == "duckdb" else DirectWriter(ingest))
        app.state.warehouse, app.state.writer = warehouse, writer
        await writer.start()
        try:
            yield
        finally:
            await writer.stop()  # what was queued is written before the process ends

    # /docs with its scripts served by the app itself, not a CDN: it opens on a machine with no
    # internet access (and a browser test sees no failed load). No /redoc: ReDoc's bundle
    # fetches its logo from a CDN, a failed request offline.
    app = FastAPIOffline(title="Vigie ingestion API", version="1", description=DESCRIPTION,
                         lifespan=lifespan, redoc_url=None)
    app.state.settings = settings
    app.include_router(routes_ingest.router)
    app.include_router(routes_status.router)
    return app
