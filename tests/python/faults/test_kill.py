"""Fault suite: `kill -9` of `vigie ingest` mid-file and of `vigie build` mid-run, then a re-run,
equal to a clean run; a killed or stopped build takes its dbt child with it (before, dbt ran on
and held the DuckDB lock)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_config

from orchestration.warehouse import Warehouse

VIGIE = str(Path(sys.executable).with_name("vigie"))
N_ROWS = 6_000
KEY_MARTS = ("business_kpis", "drift_summary", "fairness_summary", "group_parity",
             "schema_conformance", "feature_drift")


def environment(config, tmp_path: Path, name: str) -> dict[str, str]:
    target = tmp_path / f"dbt_{name}"
    # VIGIE_PROGRESS=lines: a line per chunk, so the test can kill mid-file.
    return {**os.environ, **config.dbt_env(), "VIGIE_DUCKDB_LOCK_TIMEOUT": "10",
            "VIGIE_PROGRESS": "lines",
            "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target / "logs")}


def table(warehouse: Warehouse, name: str, key: str) -> pd.DataFrame:
    frame = warehouse.query_df(f"select * from {name}")
    frame = frame.drop(columns=[c for c in frame.columns
                                if c.endswith("_at") or c == "batch_id"])
    return frame.sort_values(key if key else list(frame.columns)).reset_index(drop=True)


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (read from /proc: Linux, as the death signal is)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def gone(pid: int, within: float = 60.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # exited, waiting for its (dead) parent's reaper
            return True
        time.sleep(0.1)
    return False


def write_predictions(path: Path) -> str:
    lines = [json.dumps({"prediction_id": f"p{i}", "model_name": "credit_risk",
                         "model_version": "v1", "scored_at": f"2026-03-0{1 + i % 3}T10:00:00Z",
                         "features": {"age": 20 + i % 50, "sex": ["male", "female"][i % 2]},
                         "score": (i % 97) / 97, "decision": "approved"}) for i in range(N_ROWS)]
    for position in (10, 3_000, 5_500):
        lines.insert(position, '{"prediction_id": "bad", "score": ')
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_of_ingest_then_rerun_equals_a_clean_run(engine, tmp_path):
    (tmp_path / "killed").mkdir()
    (tmp_path / "clean").mkdir()
    killed, drop_killed = make_config(engine, tmp_path / "killed")
    clean, drop_clean = make_config(engine, tmp_path / "clean")
    try:
        path = write_predictions(tmp_path / "p.jsonl")
        command = [VIGIE, "ingest", "predictions", path, "--chunk-size", "250"]
        proc = subprocess.Popen(command, env=environment(killed, tmp_path, "k"), cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            if "2,000 rows read" in line:  # eight chunks committed, the ninth in flight
                break
        proc.kill()
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        stored = Warehouse(killed).scalar("select count(*) from raw.predictions")
        assert 0 < stored < N_ROWS  # really killed mid-file
        for config, name in ((killed, "k"), (clean, "c")):
            done = subprocess.run(command, env=environment(config, tmp_path, name),
                                  cwd=tmp_path, capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr
        for relation, key in (("raw.predictions", "prediction_id"),
                              ("raw.quarantine", "quarantine_id")):
            pd.testing.assert_frame_equal(table(Warehouse(killed), relation, key),
                                          table(Warehouse(clean), relation, key))
        assert Warehouse(killed).scalar("select count(*) from raw.predictions") == N_ROWS
    finally:
        drop_killed()
        drop_clean()


def start_build(tmp_path: Path, config, name: str) -> tuple[subprocess.Popen, int]:
    """`vigie build`, returned once dbt has created a model; with the pid of its dbt child."""
    proc = subprocess.Popen([VIGIE, "build"], env=environment(config, tmp_path, name),
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    for line in proc.stdout:
        if "OK created" in line:
            break
    dbt = [p for p in children(proc.pid)
           if "dbt" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
    assert len(dbt) == 1, "dbt is not running under vigie build"
    return proc, dbt[0]


def simulated(tmp_path: Path):
    config, _ = make_config("duckdb", tmp_path)
    env = environment(config, tmp_path, "sim")
    done = subprocess.run([VIGIE, "simulate", "--days", "3", "--per-day", "100", "--scenario",
                           "clean", "--start-date", "2026-01-01"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return config


def test_killed_builds_stop_dbt_and_a_rebuild_equals_a_clean_build(tmp_path):
    config = simulated(tmp_path)
    clean_path = tmp_path / "clean" / "vigie.duckdb"
    clean_path.parent.mkdir()
    shutil.copy(config.resolved_duckdb_path, clean_path)
    clean, _ = make_config("duckdb", clean_path.parent)

    # SIGTERM (or Ctrl-C): dbt is stopped with it, and the command says so in one line.
    proc, dbt = start_build(tmp_path, config, "k")
    proc.send_signal(signal.SIGTERM)
    output = proc.stdout.read()
    proc.wait()
    assert proc.returncode == 1
    assert "vigie: error: dbt build stopped by SIGTERM" in output and "Traceback" not in output
    assert gone(dbt)
    # kill -9: nothing runs in vigie any more, yet dbt goes too and lets go of the DuckDB lock.
    proc, dbt = start_build(tmp_path, config, "k")
    proc.kill()
    proc.wait()
    assert gone(dbt), "dbt outlived the killed vigie build"
    assert Warehouse(config).scalar("select count(*) from raw.predictions") == 300

    for each, name in ((config, "k"), (clean, "c")):
        done = subprocess.run([VIGIE, "build"], env=environment(each, tmp_path, name),
                              cwd=tmp_path, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    for mart in KEY_MARTS:
        ours, theirs = table(Warehouse(config), f"marts.{mart}", ""), \
            table(Warehouse(clean), f"marts.{mart}", "")
        assert len(ours) > 0, mart
        pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12)
