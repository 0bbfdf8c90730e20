"""Test helpers: write frames straight into raw tables and build dbt, bypassing ingestion
(ingestion has its own tests; these let mart tests start from exactly the rows they need)."""

from __future__ import annotations

import datetime as dt

import orjson
import pandas as pd
import pyarrow as pa

from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse, WarehouseConfig, load_arrow
from orchestration.warehouse_init import init_warehouse

NOW = dt.datetime(2030, 1, 1)


def _naive_utc(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_convert("UTC").dt.tz_localize(None)


def write_raw(warehouse: Warehouse, table: str, frame: pd.DataFrame) -> None:
    """Append `frame` to raw.<table>, filling bookkeeping columns and JSON-encoding features."""
    frame = frame.copy()
    if "features" in frame:
        frame["features"] = [
            f if isinstance(f, str) else orjson.dumps(f).decode() for f in frame["features"]
        ]
    for column in ("scored_at", "received_at", "recorded_at", "computed_at", "trained_at"):
        if column in frame:
            frame[column] = _naive_utc(frame[column])
    defaults = {
        "predictions": {"batch_id": "test", "ingested_at": NOW, "record_hash": "test"},
        "feedback": {"batch_id": "test", "ingested_at": NOW, "is_orphan_at_ingestion": False,
                     "record_hash": "test"},
        "reference_sample": {"batch_id": "test", "ingested_at": NOW},
        "drift_tests": {"computed_at": NOW},
        "feature_contributions": {"computed_at": NOW},
    }.get(table, {})
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    data = pa.Table.from_pandas(frame, preserve_index=False)
    with warehouse.connect() as conn:
        load_arrow(conn, warehouse.target, f"raw.{table}", data)


def fresh_warehouse(config: WarehouseConfig) -> Warehouse:
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    return warehouse


def dbt_build(config: WarehouseConfig, target_path: str, *args: str):
    """`dbt build` (seeds, models, tests) on the given warehouse; raises when dbt fails."""
    return run_dbt(["build", *args], config, target_path=target_path, capture=True)
