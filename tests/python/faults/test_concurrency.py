"""Fault suite: two `vigie ingest` of the same ids at once. One stores each row, the other
counts it a duplicate; nobody crashes (before, on PostgreSQL, the loser died of a
UniqueViolation traceback), on both engines, and the counts of each add up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from orchestration.warehouse import Warehouse

VIGIE = str(Path(sys.executable).with_name("vigie"))
SUMMARY = re.compile(r"received ([\d,]+) · accepted ([\d,]+) · duplicates ([\d,]+) · "
                     r"quarantined ([\d,]+)")
N_ROWS = 3_000


def write_file(path: Path) -> str:
    rows = [{"prediction_id": f"p{i}", "model_name": "credit_risk", "model_version": "v1",
             "scored_at": "2026-03-01T10:00:00Z", "features": {"age": 20 + i % 50},
             "score": (i % 100) / 100, "decision": "approved"} for i in range(N_ROWS)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n")
    return str(path)


def counts(stdout: str) -> tuple[int, int, int, int]:
    match = SUMMARY.search(stdout)
    assert match, stdout
    return tuple(int(g.replace(",", "")) for g in match.groups())


def test_two_concurrent_ingests_of_the_same_ids(warehouse_config, tmp_path):
    path = write_file(tmp_path / "p.jsonl")
    env = {**os.environ, **warehouse_config.dbt_env(), "VIGIE_DUCKDB_LOCK_TIMEOUT": "60"}
    command = [VIGIE, "ingest", "predictions", path, "--chunk-size", "250"]
    procs = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, stderr) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
    reports = [counts(stdout) for stdout, _ in outputs]
    for received, accepted, duplicates, quarantined in reports:
        assert received == N_ROWS + 1 == accepted + duplicates + quarantined
        assert quarantined == 1  # the broken line, in both reports, stored once
    assert sum(r[1] for r in reports) == N_ROWS  # each row stored by exactly one of them
    warehouse = Warehouse(warehouse_config)
    assert warehouse.scalar("select count(*) from raw.predictions") == N_ROWS
    assert warehouse.scalar("select count(distinct prediction_id) from raw.predictions") == N_ROWS
    assert warehouse.scalar("select count(*) from raw.quarantine") == 1
    assert warehouse.scalar("select count(*) from raw.ingestion_batches") == 2
