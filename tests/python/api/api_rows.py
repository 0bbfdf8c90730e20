"""Rows and a real `vigie serve` process for the API tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx

from orchestration.warehouse import WarehouseConfig

TOKEN = "test-token-5f0c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def prediction(prediction_id: str, **changes) -> dict:
    row = {"prediction_id": prediction_id, "model_name": "credit_risk", "model_version": "v1",
           "scored_at": "2026-11-30T10:00:00Z", "entity_id": f"e-{prediction_id}",
           "features": {"age": 35, "sex": "female", "credit_amount": 1200},
           "score": 0.25, "decision": "approved", "latency_ms": 4.0}
    return {**row, **changes}


def feedback(feedback_id: str, prediction_id: str, **changes) -> dict:
    row = {"feedback_id": feedback_id, "prediction_id": prediction_id,
           "received_at": "2026-12-01T09:00:00Z", "kind": "label", "outcome": "repaid"}
    return {**row, **changes}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(config: WarehouseConfig, token: str | None = TOKEN) -> dict[str, str]:
    env = {**os.environ, **config.dbt_env()}
    env.pop("VIGIE_API_TOKEN", None)
    if token is not None:
        env["VIGIE_API_TOKEN"] = token
    return env


@contextmanager
def running_server(config: WarehouseConfig, *args: str, token: str | None = TOKEN,
                   log_path=None):
    """`vigie serve` on 127.0.0.1 and a free port, until the block ends (then SIGTERM)."""
    port = free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "serve", "--port",
                             str(port), *args], env=server_env(config, token), stdout=log,
                            stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(proc, base)
        except RuntimeError as exc:
            tail = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise RuntimeError(f"{exc}\n{tail}") from None
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        if log_path:
            log.close()


def wait_until_up(proc: subprocess.Popen, base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vigie serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("vigie serve did not answer in time")
