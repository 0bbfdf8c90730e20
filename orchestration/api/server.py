"""Run the API under uvicorn, one process (a DuckDB file takes one writer)."""

from __future__ import annotations

import uvicorn

from orchestration.api.app import create_app
from orchestration.api.settings import ApiSettings


def run_server(settings: ApiSettings, *, host: str, port: int) -> None:
    """Serve until interrupted; on SIGINT/SIGTERM, queued writes finish before the exit."""
    uvicorn.run(create_app(settings), host=host, port=port, workers=1, log_level="info",
                timeout_graceful_shutdown=30)
