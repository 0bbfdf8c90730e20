"""One Dagster job of the pipeline bench in this process, as `vigie run` launches it.

    python -m bench.pipeline_jobs {monitoring,retraining} --log-file PATH
                                  [--run-config JSON] [--tags JSON]

The Definitions with the warehouse resource of VIGIE_* (as `vigie run` builds them), the
instance under $DAGSTER_HOME, the job run by orchestration.story.execute_job with Dagster's log
and dbt's output in --log-file. Then the sensors `vigie run` asks: after monitoring, the
retraining triggers; after a retraining, the decision read from marts.promotion_decisions and
marts.promotion_gate, and the fairness sensor's request for a mitigated retrain, if any.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.timing import own_peak_rss_mib
from orchestration.assets.io import read_frame
from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG
from orchestration.definitions import build_definitions
from orchestration.instance import project_instance
from orchestration.jobs import MONITORING_JOB, RETRAINING_JOB
from orchestration.resources import WarehouseResource
from orchestration.sensors import DECISION_SENSORS, SENSORS
from orchestration.story import execute_job, output_to, production_drift, sensor_requests
from orchestration.warehouse import Warehouse, WarehouseConfig

JOBS = {"monitoring": MONITORING_JOB, "retraining": RETRAINING_JOB}
DECISIONS = """
select decision_id, candidate_version, production_version, evaluation_id, decision,
    gate_decision, candidate_auc, production_auc, auc_delta, training_method, reasons
from marts.promotion_decisions order by decided_at desc
"""
GATE_OF = "select decision, n_checks, n_checks_passed from marts.promotion_gate " \
          "where evaluation_id = :evaluation_id"
FAILED_CHECKS_OF = "select check_name from marts.promotion_gate_checks " \
                   "where evaluation_id = :evaluation_id and not passed order by check_name"


def requests_of(defs, sensors, instance, log_file: Path) -> list[dict[str, Any]]:
    """The run requests of the sensors, evaluated once each as `vigie run` does."""
    with output_to(log_file):
        requests = [r for sensor in sensors for r in sensor_requests(defs, sensor.name, instance)]
    return [{"trigger": r.tags[TRIGGER_TAG], "reason": r.tags[REASON_TAG],
             "tags": dict(r.tags), "run_config": r.run_config or {}} for r in requests]


def drift_facts(warehouse: Warehouse) -> dict[str, Any]:
    """How many days of production traffic marts.drift_summary puts at each status."""
    drift = production_drift(warehouse)
    return {"drift_days_by_status": drift["status"].value_counts().to_dict()}


def recorded_decisions(warehouse: Warehouse):
    """marts.promotion_decisions, latest first (empty before the first retraining)."""
    if not warehouse.table_exists("marts", "promotion_decisions"):
        return pd.DataFrame(columns=["decision_id"])
    return read_frame(warehouse, DECISIONS)


def decision_facts(warehouse: Warehouse, known: set[str]) -> dict[str, Any]:
    """The decision this run recorded (not among `known`), the gate's verdict for its
    evaluation and its failed checks; decision None when the run recorded none."""
    decisions = recorded_decisions(warehouse)
    new = decisions[~decisions["decision_id"].isin(known)]
    if new.empty:
        return {"decision": None}
    row = new.iloc[0].to_dict()
    params = {"evaluation_id": row["evaluation_id"]}
    gate = read_frame(warehouse, GATE_OF, params)
    failed = read_frame(warehouse, FAILED_CHECKS_OF, params)["check_name"].tolist()
    return {**row, "gate_verdict": gate["decision"].iloc[0] if len(gate) else None,
            "n_checks": int(gate["n_checks"].iloc[0]) if len(gate) else None,
            "failed_checks": failed}


def run(job: str, log_file: Path, run_config: dict, tags: dict) -> dict[str, Any]:
    config = WarehouseConfig.from_env(target="duckdb")
    warehouse = Warehouse(config)
    instance = project_instance(config.project_dir)
    known = set(recorded_decisions(warehouse)["decision_id"]) if job == "retraining" else set()
    started = time.perf_counter()
    defs = build_definitions(resources={"warehouse": WarehouseResource.from_config(config)})
    definitions_seconds = time.perf_counter() - started
    with output_to(log_file):
        # A blocked candidate fails its blocking checks: an outcome, not an error (vigie run).
        result = execute_job(defs, JOBS[job], instance=instance, log_file=log_file,
                             run_config=run_config, tags=tags,
                             raise_on_error=job == "monitoring")
    facts = {"job": JOBS[job], "run_id": result.run_id, "success": result.success,
             "failed_steps": [e.step_key for e in result.get_step_failure_events()],
             "definitions_seconds": definitions_seconds,
             "job_seconds": time.perf_counter() - started - definitions_seconds}
    if job == "monitoring":
        return facts | drift_facts(warehouse) | {
            "requests": requests_of(defs, SENSORS, instance, log_file)}
    return facts | decision_facts(warehouse, known) | {
        "requests": requests_of(defs, DECISION_SENSORS, instance, log_file)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--log-file", type=Path, required=True)
    parser.add_argument("--run-config", type=json.loads, default={})
    parser.add_argument("--tags", type=json.loads, default={})
    args = parser.parse_args()
    result = run(args.job, args.log_file, args.run_config, args.tags)
    print(json.dumps(result | {"peak_rss_mib": own_peak_rss_mib()}, default=str))


if __name__ == "__main__":
    main()
