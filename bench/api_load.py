"""Load test of `vigie serve`: concurrent clients on 127.0.0.1 for a bounded time.

    python -m bench.api_load [--seconds 30] [--clients 16] [--rows 1] [--target duckdb]

Starts `vigie serve` on a fresh warehouse (a DuckDB file under --workdir, or a throw-away
PostgreSQL database), lets each client post predictions of `--rows` rows back to back until
the time is up, stops the server, then checks that raw.predictions holds exactly the ids the
answers acknowledged as accepted (no more, no fewer). Prints requests/s, rows/s and latency
percentiles, appends the run to bench/results/api-load.json (every run, with the commit it
measured) and writes api-load.md from them all (the README's section).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from orchestration.warehouse import Warehouse, WarehouseConfig

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# The code a run measures: a change here since the commit marks the run "+dirty".
MEASURED_PATHS = ("orchestration", "models_ml")
# What the runs say, written by hand after a run, appended to the generated section.
NOTES = RESULTS_DIR / "api-load-notes.md"
FEATURES = {"sex": "female", "age": 41, "job": 2, "housing": "own",
            "saving_accounts": "little", "checking_account": "moderate",
            "credit_amount": 2300.0, "duration": 24, "purpose": "car"}


def prediction(prediction_id: str) -> dict:
    return {"prediction_id": prediction_id, "model_name": "credit_risk", "model_version": "v1",
            "scored_at": dt.datetime.now(dt.UTC).isoformat(), "entity_id": prediction_id,
            "features": FEATURES, "score": 0.31, "decision": "approved", "latency_ms": 3.5}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_warehouse(target: str, workdir: Path) -> tuple[WarehouseConfig, callable]:
    """A new empty warehouse and a function that removes it (PostgreSQL: a new database)."""
    if target == "duckdb":
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / f"api-load-{uuid.uuid4().hex[:8]}.duckdb"
        return WarehouseConfig.from_env(target="duckdb", duckdb_path=str(path)), \
            lambda: [p.unlink() for p in workdir.glob(f"{path.name}*")]
    database = f"vigie_api_load_{uuid.uuid4().hex[:8]}"
    admin = Warehouse(WarehouseConfig.from_env(target="postgres", pg_database="postgres"))
    engine = sa.create_engine(admin.config.url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'create database "{database}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{database}" with (force)'))
        engine.dispose()

    return WarehouseConfig.from_env(target="postgres", pg_database=database), drop


def start_server(config: WarehouseConfig, token: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, **config.dbt_env(), "VIGIE_API_TOKEN": token}
    with log.open("wb") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "serve", "--port",
                                 str(port)], env=env, stdout=handle, stderr=handle)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"vigie serve exited with {proc.returncode}: see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"vigie serve did not answer within 120 s: see {log}")


async def client(number: int, base: str, token: str, rows: int, deadline: float,
                 http: httpx.AsyncClient, acknowledged: set[str], latencies: list[float],
                 failures: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    sent = 0
    while time.monotonic() < deadline:
        batch = [prediction(f"c{number}-{sent + j}") for j in range(rows)]
        sent += rows
        started = time.perf_counter()
        try:
            response = await http.post(f"{base}/v1/predictions", json=batch, headers=headers)
        except httpx.HTTPError as exc:
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            failures.append(f"{response.status_code}: {response.text[:200]}")
            continue
        answer = response.json()
        if answer["accepted"] == rows:
            acknowledged.update(r["prediction_id"] for r in batch)
        else:
            failures.append(f"accepted {answer['accepted']} of {rows}: {answer}")


async def drive(base: str, token: str, clients: int, rows: int, seconds: float) -> dict:
    acknowledged: set[str] = set()
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client(n, base, token, rows, deadline, http, acknowledged,
                                      latencies, failures) for n in range(clients)))
        elapsed = time.monotonic() - started
    return {"acknowledged": acknowledged, "latencies": latencies, "failures": failures,
            "elapsed": elapsed}


def run(target: str, seconds: float, clients: int, rows: int, workdir: Path) -> dict:
    config, remove = fresh_warehouse(target, workdir)
    token, port = secrets.token_hex(16), free_port()
    load_before = os.getloadavg()
    proc = start_server(config, token, port, workdir / "api-load-serve.log")
    try:
        driven = asyncio.run(drive(f"http://127.0.0.1:{port}", token, clients, rows, seconds))
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    try:
        stored = set(Warehouse(config).query_df("select prediction_id from raw.predictions")
                     ["prediction_id"])
    finally:
        remove()
    latencies_ms = np.array(driven["latencies"]) * 1000
    acknowledged = driven["acknowledged"]
    n_requests = len(driven["latencies"])
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "target": target, "seconds": round(driven["elapsed"], 1), "clients": clients,
        "rows_per_request": rows, "requests": n_requests,
        "requests_per_second": round(n_requests / driven["elapsed"], 1),
        "rows_per_second": round(len(acknowledged) / driven["elapsed"], 1),
        "latency_ms": {f"p{q}": round(float(np.percentile(latencies_ms, q)), 1)
                       for q in (50, 95, 99)} if n_requests else {},
        "failures": len(driven["failures"]), "first_failures": driven["failures"][:5],
        "rows_acknowledged": len(acknowledged), "rows_stored": len(stored),
        "stored_exactly_acknowledged": stored == acknowledged,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "niceness": os.nice(0),
        "commit": measured_commit(),
    }


def measured_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCH_DIR.parent, capture_output=True,
                              text=True, check=False).stdout.strip()

    dirty = git("status", "--porcelain", "--", *MEASURED_PATHS)
    return (git("rev-parse", "--short", "HEAD") or "unknown") + ("+dirty" if dirty else "")


def markdown(results: list[dict]) -> str:
    """The README section: one row per run, newest last."""
    rows = []
    for r in results:
        lat, exact = r["latency_ms"], "yes" if r["stored_exactly_acknowledged"] else "**no**"
        rows.append(
            f"| {r['date_utc']} | {r.get('commit', '?')} | {r['target']} | {r['clients']} "
            f"| {r['rows_per_request']} | {r['seconds']} s | {r['load_average_before'][0]} / "
            f"{r['load_average_after'][0]} | {r['requests']:,} | {r['requests_per_second']} "
            f"| {lat.get('p50')} ms | {lat.get('p95')} ms | {r['failures']} | {exact} "
            f"({r['rows_stored']:,} stored, {r['rows_acknowledged']:,} acknowledged) |")
    return "\n".join([
        "## HTTP ingestion API under load (`python -m bench.api_load`)\n",
        "`vigie serve` on 127.0.0.1 (one queued writer on DuckDB), concurrent clients posting "
        "predictions back to back for a bounded time, the load generator on the same machine "
        f"({results[-1]['machine']}; the machine is shared: load average = 1-minute load "
        "before / after the run), under `nice -n 10`. Every request waits until its rows are "
        "committed, so latency includes the write; on DuckDB the requests that wait while a "
        "write runs go together into the next one, one chunk each. Raw figures: "
        "`bench/results/api-load.json`.\n",
        "| date (UTC) | commit | target | clients | rows / request | duration | load average "
        "| requests | requests/s | p50 | p95 | failures | raw.predictions = acknowledged |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows, "",
        *([NOTES.read_text().rstrip(), ""] if NOTES.exists() else []),
    ])


def load_runs(path: Path) -> list[dict]:
    if not path.exists():
        return []
    runs = json.loads(path.read_text())
    return runs if isinstance(runs, list) else [runs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rows", type=int, default=1, help="predictions per request")
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/vigie-api-load"))
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures without writing bench/results/")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = run(args.target, args.seconds, args.clients, args.rows, args.workdir)
    print(json.dumps(result, indent=2))
    if not args.no_write:
        RESULTS_DIR.mkdir(exist_ok=True)
        runs = [*load_runs(RESULTS_DIR / "api-load.json"), result]
        (RESULTS_DIR / "api-load.json").write_text(json.dumps(runs, indent=2) + "\n")
        (RESULTS_DIR / "api-load.md").write_text(markdown(runs))
    return 0 if result["stored_exactly_acknowledged"] and not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
