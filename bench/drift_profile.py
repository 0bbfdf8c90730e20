"""Where the drift step's time goes: its reads against its KS, and its KS against scipy's on the
same arrays (issue 11's "KS within 1.5× of the scipy loop on the same arrays").

    python -m bench.drift_profile --workdir /tmp/vigie-bench/rows-1000000 [--repeat 3]

Reads the warehouse a `python -m bench` run left (30 days, model v1), then for each round:
the reference read, one read per day (orchestration.assets.drift.day_frame), the day's tests
(day_tests), and on the very arrays those reads gave, models_ml.drift.ks_test against a bare
scipy.stats.ks_2samp loop. The two must agree to 1e-12 or the profile stops. Prints a JSON line
per round and writes bench/results/drift-profile-<rows>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bench.drift import (
    MODEL_NAME,
    MODEL_VERSION,
    DisagreementError,
    numeric_features,
    pending_ks,
)
from models_ml.drift import ks_test
from orchestration.warehouse import Warehouse

AGREEMENT = 1e-12
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def same_arrays(arrays: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Vigie's ks_test and a bare ks_2samp (NaN dropped) on the same pairs: seconds each, and the
    largest gap between their statistics and p-values (a gap above AGREEMENT stops)."""
    started = time.perf_counter()
    vigie = [ks_test(reference, current) for reference, current in arrays]
    vigie_s = time.perf_counter() - started
    started = time.perf_counter()
    scipy = [stats.ks_2samp(reference[~np.isnan(reference)], current[~np.isnan(current)])
             for reference, current in arrays]
    scipy_s = time.perf_counter() - started
    gap = max((max(abs(v.statistic - float(s.statistic)), abs(v.pvalue - float(s.pvalue)))
               for v, s in zip(vigie, scipy, strict=True)), default=0.0)
    if gap > AGREEMENT:
        raise DisagreementError(f"ks_test and ks_2samp differ by {gap} on the same arrays")
    return {"n_tests": len(arrays), "vigie_ks_s": vigie_s, "scipy_ks_s": scipy_s,
            "ratio_vigie_to_scipy": vigie_s / scipy_s if scipy_s else float("nan"),
            "max_gap": gap}


def profile_round(warehouse: Warehouse, features: list[str], days: list) -> dict[str, Any]:
    """One pass of the drift step over every day, its reads and its tests timed apart."""
    from orchestration.assets.drift import day_frame, day_tests, reference_frame, reference_samples

    started = time.perf_counter()
    reference = reference_samples(reference_frame(warehouse, MODEL_NAME, MODEL_VERSION))
    reference_s = time.perf_counter() - started
    read_s = tests_s = 0.0
    arrays = []
    for day in days:
        started = time.perf_counter()
        frame = day_frame(warehouse, MODEL_NAME, MODEL_VERSION, day)
        read_s += time.perf_counter() - started
        pending = pending_ks(features, day)
        started = time.perf_counter()
        day_tests(reference, frame, pending)
        tests_s += time.perf_counter() - started
        arrays += [(reference[f][0], frame.loc[frame["feature_name"] == f, "value_numeric"]
                    .to_numpy(dtype=float, na_value=np.nan)) for f in features]
    return {"days": len(days), "reference_read_s": reference_s, "day_reads_s": read_s,
            "day_tests_s": tests_s, **same_arrays(arrays)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True,
                        help="a rows-<N> directory of a `python -m bench` run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from bench.compare import bench_config

    warehouse = Warehouse(bench_config(args.workdir))
    features = numeric_features(warehouse.config.project_dir)
    days = sorted(pd.to_datetime(warehouse.query_df(
        "select distinct window_date from staging.stg_raw__predictions")["window_date"]).dt.date)
    rounds = []
    for _ in range(args.repeat):
        rounds.append(profile_round(warehouse, features, days))
        print(json.dumps(rounds[-1]))
    rows = warehouse.scalar("select count(*) from raw.predictions")
    out = RESULTS_DIR / f"drift-profile-{rows}.json"
    out.write_text(json.dumps({"workdir": str(args.workdir), "rows": rows, "features": features,
                               "load_average": [round(x, 2) for x in os.getloadavg()],
                               "rounds": rounds}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
