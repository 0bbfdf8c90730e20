"""Simulated traffic as the JSON Lines files a user would ingest, one day at a time.

    python -m bench.traffic_files WORKDIR --rows N [--days D] [--scenario migration] [--seed 7]

Registers the served model v1 in the warehouse of VIGIE_DUCKDB_PATH (its reference sample,
held-out scores and TreeSHAP baseline), as `vigie run`'s simulation job does, then writes D
days of N predictions in all to WORKDIR/predictions.jsonl and their feedback to
feedback.jsonl, and one more day (day D + 1) to day_last_predictions.jsonl and
day_last_feedback.jsonl. A day's feedback goes with that day's predictions, so neither file
holds a label for a prediction the other does not. Memory stays at one day's frames. The
migration happens on day D // 2, as in a D-day `vigie run`. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson
import pandas as pd

from bench.timing import own_peak_rss_mib
from models_ml.credit_model import load_german_credit
from models_ml.simulate import iter_simulated_days
from orchestration.assets.raw import record_initial_contributions
from orchestration.resources import default_model_name
from orchestration.simulation import INITIAL_VERSION, ensure_initial_model
from orchestration.warehouse import Warehouse, WarehouseConfig

PREDICTIONS_FILE = "predictions.jsonl"
FEEDBACK_FILE = "feedback.jsonl"
DAY_LAST_PREDICTIONS_FILE = "day_last_predictions.jsonl"
DAY_LAST_FEEDBACK_FILE = "day_last_feedback.jsonl"


def column_values(column: pd.Series) -> list:
    """A column as JSON-ready Python values: timestamps as ISO 8601 UTC text, missing as None."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
        text = np.char.add(np.datetime_as_string(utc, unit="us"), "Z").astype(object)
        return np.where(column.isna().to_numpy(), None, text).tolist()
    if column.dtype == np.float64:
        return column.tolist()  # orjson writes NaN as null
    return column.astype(object).where(column.notna(), None).tolist()


def jsonl_bytes(frame: pd.DataFrame) -> bytes:
    """The frame's rows as JSON Lines (one object per row, columns as keys, in order)."""
    if frame.empty:
        return b""
    names = list(frame.columns)
    values = [column_values(frame[name]) for name in names]
    lines = [orjson.dumps(dict(zip(names, row, strict=True)))
             for row in zip(*values, strict=True)]
    return b"\n".join(lines) + b"\n"


def write_day(predictions: pd.DataFrame, feedback: pd.DataFrame, files: tuple[BinaryIO, BinaryIO]
              ) -> tuple[int, int]:
    files[0].write(jsonl_bytes(predictions))
    files[1].write(jsonl_bytes(feedback))
    return len(predictions), len(feedback)


def write_traffic_files(workdir: Path, warehouse: Warehouse, *, rows: int, days: int,
                        scenario: str, seed: int, start_date: dt.date) -> dict[str, Any]:
    """Register v1, then write `rows` predictions over `days` days and one more day."""
    started = time.perf_counter()
    project_dir = warehouse.config.project_dir
    model_name = default_model_name(project_dir)
    german = load_german_credit(Path(project_dir) / "seeds" / "german_credit.csv")
    model = ensure_initial_model(warehouse, german, seed=seed, project_dir=project_dir,
                                 model_name=model_name)
    record_initial_contributions(warehouse, project_dir, model_name, seed=seed)
    register_seconds = time.perf_counter() - started
    per_day = -(-rows // days)
    counts = {"predictions": 0, "feedback": 0, "day_last_predictions": 0,
              "day_last_feedback": 0}
    traffic = iter_simulated_days(german, days=days + 1, per_day=per_day, scenario=scenario,
                                  seed=seed, start_date=start_date, model=model,
                                  model_version=INITIAL_VERSION, shift_day=days // 2)
    with (workdir / PREDICTIONS_FILE).open("wb") as predictions_file, \
            (workdir / FEEDBACK_FILE).open("wb") as feedback_file:
        for _ in range(days):
            day = next(traffic)
            predictions = day.predictions.head(rows - counts["predictions"]).assign(
                model_name=model_name)
            feedback = day.feedback[day.feedback["prediction_id"].isin(
                predictions["prediction_id"])]
            n_predictions, n_feedback = write_day(predictions, feedback,
                                                  (predictions_file, feedback_file))
            counts["predictions"] += n_predictions
            counts["feedback"] += n_feedback
    last = next(traffic)
    with (workdir / DAY_LAST_PREDICTIONS_FILE).open("wb") as predictions_file, \
            (workdir / DAY_LAST_FEEDBACK_FILE).open("wb") as feedback_file:
        counts["day_last_predictions"], counts["day_last_feedback"] = write_day(
            last.predictions.assign(model_name=model_name), last.feedback,
            (predictions_file, feedback_file))
    sizes = {name: (workdir / name).stat().st_size / 2**20
             for name in (PREDICTIONS_FILE, FEEDBACK_FILE, DAY_LAST_PREDICTIONS_FILE,
                          DAY_LAST_FEEDBACK_FILE)}
    return {"rows": counts["predictions"], "counts": counts, "per_day": per_day,
            "days": days, "scenario": scenario, "seed": seed,
            "start_date": start_date.isoformat(), "shift_day": days // 2,
            "file_mib": {name: round(size, 1) for name, size in sizes.items()},
            "register_seconds": register_seconds,
            "write_seconds": time.perf_counter() - started - register_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scenario", default="migration")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start-date", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args()
    warehouse = Warehouse(WarehouseConfig.from_env(target="duckdb"))
    result = write_traffic_files(args.workdir, warehouse, rows=args.rows, days=args.days,
                                 scenario=args.scenario, seed=args.seed,
                                 start_date=args.start_date)
    print(json.dumps(result | {"peak_rss_mib": own_peak_rss_mib()}))


if __name__ == "__main__":
    main()
