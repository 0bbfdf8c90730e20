"""The gate over many seeds: per scenario, size and seed, the whole chain of `vigie run` from
simulation to the mitigated retrain, and each candidate's numbers as the gate marts hold them.

    python -m bench.fairness_seeds run --scenario migration --days 40 --per-day 1500 --seeds 1 2
    python -m bench.fairness_seeds table        # docs/fairness-seeds.md from the results

`run` runs one seed per process (a fresh interpreter, a fresh DuckDB file, one at a time), each
through the real Definitions in-process: the simulation job; a dbt build of only what the
retraining job reads (int_training_examples, the seeds and their upstream, without the
monitoring marts, the drift step or dbt tests: the gate reads none of them); the retraining
job's assets up to the decision and its blocking gate checks (bench_jobs); then the mitigation
sensor and the run it requests. On a 2-core machine shared by six, dbt's start dominates: the
fewer dbt steps, the more seeds. The numbers are read from
marts.promotion_gate and marts.promotion_gate_checks (never recomputed here) and written to
bench/results/fairness/<scenario>-<days>x<per_day>-seed<N>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = Path(os.environ.get("VIGIE_FAIRNESS_RESULTS", BENCH_DIR / "results" / "fairness"))
DOC = BENCH_DIR.parent / "docs" / "fairness-seeds.md"
START = "2024-01-01"
PREPARE_JOB = "fairness_seeds_prepare"
GATE_JOB = "fairness_seeds_retraining"
# Built by the retraining job after the decision; the gate's numbers do not read them.
REGISTRY_MARTS = ("promotion_decisions", "model_versions")
CHECKS = ("four_fifths", "equalized_odds", "sensitive_importance")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def result_path(scenario: str, days: int, per_day: int, seed: int) -> Path:
    return RESULTS_DIR / f"{scenario}-{days}x{per_day}-seed{seed}.json"


def run_seed(scenario: str, days: int, per_day: int, seed: int, root: Path) -> dict:
    """The chain for one seed in this process; the gate's rows of every candidate."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.jobs import SIMULATION_JOB
    from orchestration.resources import ModelStoreResource, WarehouseResource
    from orchestration.sensors import DECISION_SENSORS
    from orchestration.story import execute_job, sensor_requests
    from orchestration.warehouse import Warehouse, WarehouseConfig
    from orchestration.warehouse_init import init_warehouse

    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(root / "vigie.duckdb"))
    init_warehouse(Warehouse(config))
    defs = build_definitions(root.parent / "dbt_target", resources={
        "warehouse": WarehouseResource.from_config(config),
        "model_store": ModelStoreResource(root=str(root / "models"))})
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=bench_jobs(defs)))
    instance = dg.DagsterInstance.ephemeral()
    timings = {}

    def timed(name: str, job: str, **kwargs) -> None:
        begin = time.perf_counter()
        execute_job(defs, job, instance=instance, raise_on_error=False, **kwargs)
        timings[name] = round(time.perf_counter() - begin, 1)

    simulation = {"scenario": scenario, "days": days, "per_day": per_day, "seed": seed,
                  "start_date": START}
    timed("simulate", SIMULATION_JOB,
          run_config={"ops": {"simulated_traffic": {"config": simulation}}})
    timed("prepare", PREPARE_JOB)
    timed("retrain", GATE_JOB)
    for sensor in DECISION_SENSORS:
        for request in sensor_requests(defs, sensor.name, instance):
            timed("mitigated", GATE_JOB, run_config=request.run_config, tags=request.tags)
    wh = Warehouse(config)
    return {"scenario": scenario, "days": days, "per_day": per_day, "seed": seed,
            "timings": timings, "candidates": gate_rows(wh)}


def bench_jobs(defs) -> list:
    """The retraining job without what the gate's numbers do not need, and what it reads.

    GATE_JOB: the retraining job's assets up to the decision and its blocking gate checks (the
    mitigation sensor reads them), without the registry marts and production_model that follow
    the decision, and without dbt's data tests. PREPARE_JOB: the dbt models the retraining job
    reads that it does not build itself (int_training_examples, the seeds), without tests."""
    import dagster as dg
    from dagster_dbt import get_asset_key_for_model

    from orchestration.assets.keys import (
        CANDIDATE_MODEL_KEY,
        PRODUCTION_MODEL_KEY,
        PROMOTION_DECISION_KEY,
    )
    from orchestration.jobs import retraining_selection

    dbt = next(a for a in defs.assets if isinstance(a, dg.AssetsDefinition)
               and any(k.path[0] == "intermediate" for k in a.keys))
    after_decision = dg.AssetSelection.assets(
        PRODUCTION_MODEL_KEY, *[get_asset_key_for_model([dbt], m) for m in REGISTRY_MARTS])
    dbt_tests = dg.AssetSelection.checks_for_assets(dbt)
    gate = dg.AssetSelection.assets(PROMOTION_DECISION_KEY)
    prepare = ((gate.upstream() - dg.AssetSelection.assets(CANDIDATE_MODEL_KEY).downstream())
               & dg.AssetSelection.assets(dbt)) - dg.AssetSelection.all_asset_checks()
    return [dg.define_asset_job(PREPARE_JOB, prepare),
            dg.define_asset_job(GATE_JOB, retraining_selection - after_decision - dbt_tests)]


def gate_rows(wh) -> list[dict]:
    """Each evaluated candidate: its gate verdict and the checks as the marts hold them."""
    gate = wh.query_df("select evaluation_id, candidate_version, production_version, "
                       "candidate_auc, production_auc, auc_delta, decision "
                       "from marts.promotion_gate order by candidate_version")
    checks = wh.query_df("select * from marts.promotion_gate_checks")
    methods = wh.query_df("select model_version, training_method, answers_version "
                          "from raw.model_registry where event = 'registered'")
    method = {r.model_version: (r.training_method, r.answers_version)
              for r in methods.itertuples()}
    rows = []
    for verdict in gate.to_dict("records"):
        row = {**verdict, "training_method": method.get(verdict["candidate_version"],
                                                        (None, None))[0],
               "answers_version": method.get(verdict["candidate_version"], (None, None))[1]}
        mine = checks.loc[checks["evaluation_id"] == verdict["evaluation_id"]]
        for check in mine.to_dict("records"):
            if check["check_name"] in CHECKS:
                row[check["check_name"]] = {k: _plain(check.get(k)) for k in (
                    "observed", "ci_low", "ci_high", "bound", "passed", "is_assessable",
                    "production_observed", "production_passed", "detail")}
        rows.append({k: _plain(v) for k, v in row.items()})
    return rows


def _plain(value):
    """JSON-safe: numpy numbers as Python numbers, NaN as None."""
    if isinstance(value, dict):
        return value
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def regate(root: Path, result: dict) -> dict:
    """The gate marts rebuilt on a stored warehouse (the current project's gate SQL and
    thresholds), then its rows read again: for seeds run before a change of the gate."""
    from orchestration.dbt_runner import run_dbt
    from orchestration.warehouse import Warehouse, WarehouseConfig

    config = WarehouseConfig.from_env(target="duckdb", duckdb_path=str(root / "vigie.duckdb"))
    target = str(root.parent / "dbt_target_regate")
    run_dbt(["seed", "--select", "thresholds"], config, target_path=target, capture=True)
    run_dbt(["run", "--select", "int_evaluation_groups+", "feature_importance+",
             "candidate_evaluation_performance+", "int_gate_evaluations+",
             "stg_raw__model_registry",
             "--exclude", *REGISTRY_MARTS], config, target_path=target, capture=True)
    return {**result, "candidates": gate_rows(Warehouse(config)), "regated": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fairness_seeds")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run seeds, one process each, one at a time")
    run.add_argument("--scenario", required=True)
    run.add_argument("--days", type=int, required=True)
    run.add_argument("--per-day", type=int, required=True)
    run.add_argument("--seeds", type=int, nargs="+", required=True)
    run.add_argument("--work", default="/tmp/vigie-fairness-seeds")
    one = sub.add_parser("one", help="(internal) one seed in this process")
    for name in ("--scenario", "--work"):
        one.add_argument(name, required=True)
    for name in ("--days", "--per-day", "--seed"):
        one.add_argument(name, type=int, required=True)
    table = sub.add_parser("table", help="write docs/fairness-seeds.md from the results")
    table.add_argument("--note", default="", help="a paragraph on how this run was sized")
    again = sub.add_parser("regate", help="rebuild the gate marts of stored seeds, read again")
    again.add_argument("names", nargs="+", help="result names, e.g. clean-60x1000-seed1")
    again.add_argument("--work", default="/tmp/vigie-fairness-seeds")
    args = parser.parse_args(argv)
    if args.command == "table":
        from bench.fairness_table import write_table
        write_table(sorted(RESULTS_DIR.glob("*.json")), DOC, note=args.note)
        log(f"wrote {DOC}")
        return 0
    if args.command == "regate":
        for name in args.names:
            path = RESULTS_DIR / f"{name}.json"
            result = regate(Path(args.work) / name, json.loads(path.read_text()))
            path.write_text(json.dumps(result, indent=1, default=str))
            log(f"{path.name}: gate marts rebuilt and read again")
        return 0
    if args.command == "one":
        root = Path(args.work) / f"{args.scenario}-{args.days}x{args.per_day}-seed{args.seed}"
        root.mkdir(parents=True, exist_ok=True)
        begin = time.perf_counter()
        result = run_seed(args.scenario, args.days, args.per_day, args.seed, root)
        result["seconds"] = round(time.perf_counter() - begin, 1)
        result["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = result_path(args.scenario, args.days, args.per_day, args.seed)
        path.write_text(json.dumps(result, indent=1, default=str))
        log(f"{path.name}: {result['seconds']} s")
        return 0
    for seed in args.seeds:
        command = [sys.executable, "-m", "bench.fairness_seeds", "one", "--scenario",
                   args.scenario, "--days", str(args.days), "--per-day", str(args.per_day),
                   "--seed", str(seed), "--work", args.work]
        code = subprocess.run(command, cwd=BENCH_DIR.parent,
                              stdout=subprocess.DEVNULL).returncode
        if code != 0:
            log(f"seed {seed} failed (exit {code})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
