"""The API's OpenAPI page in headless Chromium: a real `vigie serve` on 127.0.0.1 and a free
port; /docs draws Swagger UI with every route of the API, with no console error, page error or
failed request (the page's scripts come from the app, not a CDN: CI has no internet)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from pages import browser_fixture, opened  # noqa: F401 (the `browser` fixture)

from orchestration.warehouse import WarehouseConfig

pytestmark = pytest.mark.usefixtures("browser")
TOKEN = "browser-test-token"
ROUTES = ("/v1/predictions", "/v1/feedback", "/v1/health", "/v1/models/{model_name}/status")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """`vigie serve` on a new DuckDB warehouse, until the module's tests end."""
    root = tmp_path_factory.mktemp("api_docs")
    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(root / "vigie.duckdb"))
    env = {**os.environ, **config.dbt_env(), "VIGIE_API_TOKEN": TOKEN}
    port = free_port()
    with (root / "serve.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "serve", "--port",
                                 str(port)], env=env, cwd=root, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (root / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "vigie serve did not answer in 90 s"
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_the_docs_page_draws_every_route_without_an_error(browser, served):
    with opened(browser, f"{served}/docs") as opened_page:
        page = opened_page.page
        page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
        paths = page.locator(".swagger-ui .opblock .opblock-summary-path").all_inner_texts()
        title = page.locator(".swagger-ui .info .title").inner_text()
        page.wait_for_load_state("networkidle")
        assert opened_page.errors == []
    assert "Vigie ingestion API" in title
    assert {p.replace("\u200b", "") for p in paths} >= set(ROUTES)

