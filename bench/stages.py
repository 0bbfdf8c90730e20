"""The stages of the whole job, each runnable in its own process so its peak memory is its own.

    python -m bench.stages {ingest,dbt_build,drift,training,gate} WORKDIR [--rows N]

Each prints one JSON line: what the stage did and its peak RSS (ru_maxrss of the process and of
the children it waited for, e.g. dbt). The stages call the same functions as `vigie run` and
the Dagster assets: ingest = the simulator through orchestration.ingest; dbt_build = `dbt build`
of the whole project; drift = orchestration.assets.drift.compute_drift_tests (KS and
chi-square, every day x feature, written to raw.drift_tests) when its reader works here, else
the KS half through Arrow reads and models_ml.drift.ks_test; training = the candidate
asset's read of int_training_examples and train_candidate; gate = the promotion gate's checks
on the candidate's held-out rows (four-fifths, equalized odds, validation AUC floor) and
decide_promotion.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.data import bench_config, ingest_bench_traffic
from bench.timing import own_peak_rss_mib
from orchestration.dbt_runner import run_dbt
from orchestration.warehouse import Warehouse

STAGES = ("ingest", "dbt_build", "drift", "training", "gate")
CANDIDATE_DIR = "candidate_model"


def stage_ingest(workdir: Path, rows: int) -> dict[str, Any]:
    timing = ingest_bench_traffic(Warehouse(bench_config(workdir)), rows=rows)
    return {"n_predictions": timing.n_predictions, "n_feedback": timing.n_feedback,
            "n_defects": timing.n_defects, "simulate_seconds": timing.simulate_seconds,
            "ingest_seconds": timing.total_seconds - timing.simulate_seconds}


def stage_dbt_build(workdir: Path, rows: int) -> dict[str, Any]:
    proc = run_dbt(["build", "--full-refresh"], bench_config(workdir),
                   target_path=str(workdir / "target_job"), capture=True, check=False)
    summary = [line for line in proc.stdout.splitlines() if "Done. PASS=" in line]
    return {"dbt_exit_code": proc.returncode,
            "dbt_summary": summary[-1].split("Done. ")[-1] if summary else ""}


def stage_drift(workdir: Path, rows: int) -> dict[str, Any]:
    from bench.drift import asset_reader_error, numeric_features, vigie_ks_arrow

    warehouse = Warehouse(bench_config(workdir))
    reader_error = asset_reader_error(warehouse)
    if reader_error is not None:
        tests = vigie_ks_arrow(warehouse, numeric_features(warehouse.config.project_dir))
        return {"n_tests": len(tests), "path": "Arrow reads + models_ml.drift.ks_test, numeric "
                f"features only (the asset's reader failed: {reader_error})"}
    from orchestration.assets.drift import compute_drift_tests

    warehouse.execute("delete from raw.drift_tests")
    tests = compute_drift_tests(warehouse)
    return {"n_tests": len(tests), "path": "orchestration.assets.drift.compute_drift_tests"}


def labelled_training_set(warehouse: Warehouse):
    """The candidate asset's training set, read from intermediate.int_training_examples."""
    from models_ml.simulate import MODEL_NAME
    from orchestration.assets.training_data import load_training_set

    full, examples, _ = load_training_set(warehouse, MODEL_NAME)
    return full, examples["outcome"]


def stage_training(workdir: Path, rows: int) -> dict[str, Any]:
    from models_ml.training import train_candidate
    from orchestration.assets.training import cost_of
    from orchestration.seed_config import thresholds

    warehouse = Warehouse(bench_config(workdir))
    project_dir = warehouse.config.project_dir
    full, _ = labelled_training_set(warehouse)
    model = train_candidate(full, seed=7, cost_false_approval=cost_of(project_dir, "approved",
                                                                      "defaulted"),
                            cost_false_refusal=cost_of(project_dir, "declined", "repaid"),
                            leakage_auc_max=thresholds(project_dir)["leakage_auc_max"])
    model.save(workdir / CANDIDATE_DIR)
    return {"n_training_rows": model.n_training_rows,
            "n_validation_rows": len(model.validation_prediction_ids)}


def stage_gate(workdir: Path, rows: int) -> dict[str, Any]:
    from models_ml.metrics import roc_auc
    from models_ml.simulate import MODEL_NAME
    from models_ml.training import TrainedModel
    from orchestration import registry
    from orchestration.seed_config import thresholds
    from tests.python.oracles import check_equalized_odds, check_four_fifths, parity_table

    warehouse = Warehouse(bench_config(workdir))
    bounds = thresholds(warehouse.config.project_dir)
    model = TrainedModel.load(workdir / CANDIDATE_DIR)
    full, outcomes = labelled_training_set(warehouse)
    X = full.X.loc[model.validation_prediction_ids]
    # The bench times the gate's maths in-process; in Vigie the validation AUC is dbt's.
    y_val = pd.Series(full.y_default, index=full.X.index).loc[X.index].to_numpy()
    validation_auc = roc_auc(y_val, model.predict_default_probability(X))
    approved = model.decide(model.predict_default_probability(X)) == "approved"
    repaid = (outcomes.reindex(X.index) == "repaid").to_numpy().astype(float)
    age = pd.to_numeric(X["age"], errors="coerce").to_numpy(dtype=float)
    attributes = {"sex": X["sex"].astype(object).fillna("unknown").to_numpy(),
                  "age": np.select([age < 25, age < 40, age < 60, age >= 60],
                                   ["under_25", "25_39", "40_59", "60_and_over"], "unknown")}
    parity = parity_table(repaid, approved.astype(float), attributes,
                          min_group_size=int(bounds["min_group_size"]))
    # Vigie's gate is dbt's (marts.promotion_gate); the bench times the Python reference of its
    # fairness maths (tests/python/oracles.py) and a plain margin rule on the same rows.
    checks = [check_four_fifths(parity, ratio_min=bounds["four_fifths_ratio"]),
              check_equalized_odds(parity, bound=bounds["equalized_odds_bound"])]
    production = registry.production_version(warehouse, MODEL_NAME)
    baseline = production.validation_auc if production else None
    if (not all(c.passed for c in checks) or validation_auc is None
            or validation_auc < bounds["validation_auc_floor"]):
        decision = "blocked"
    elif baseline is None or validation_auc - baseline >= bounds["promotion_delta"] - 1e-9:
        decision = "promoted"
    else:
        decision = "skipped"
    return {"decision": decision, "n_gate_rows": len(X)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--rows", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    result = globals()[f"stage_{args.stage}"](args.workdir, args.rows)
    result.update(stage=args.stage, seconds=time.perf_counter() - started,
                  peak_rss_mib=own_peak_rss_mib())
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
