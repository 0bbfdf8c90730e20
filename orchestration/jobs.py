"""Jobs: simulate traffic, monitor (dbt + KS drift), retrain and gate, refresh registry marts."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from orchestration.assets.io import read_frame
from orchestration.assets.keys import (
    CANDIDATE_MODEL_KEY,
    PRODUCTION_MODEL_KEY,
    REASON_TAG,
    TRIGGER_TAG,
)
from orchestration.schedules import MONITORING_JOB
from orchestration.sensors import RETRAINING_JOB
from orchestration.warehouse import Warehouse, WarehouseConfig

SIMULATION_JOB = "simulation"
REGISTRY_MARTS_JOB = "registry_marts"


def retraining_selection(ml_marts: list[dg.AssetKey]) -> dg.AssetSelection:
    """Everything between the candidate model and the production model or the ML marts."""
    ends = dg.AssetSelection.assets(PRODUCTION_MODEL_KEY, *ml_marts)
    return dg.AssetSelection.assets(CANDIDATE_MODEL_KEY).downstream() & ends.upstream()


def build_jobs(simulation: dg.AssetsDefinition, dbt: dg.AssetsDefinition,
               drift: dg.AssetsDefinition, gate: dg.AssetChecksDefinition,
               ml_marts: list[dg.AssetKey]) -> list[dg.UnresolvedAssetJobDefinition]:
    """The four jobs; the promotion gate runs only with the retraining job."""
    without_gate = dg.AssetSelection.checks(gate)
    return [
        dg.define_asset_job(SIMULATION_JOB, dg.AssetSelection.assets(simulation),
                            description="Simulate production traffic into the raw tables"),
        dg.define_asset_job(
            MONITORING_JOB,
            dg.AssetSelection.assets(dbt, drift) - without_gate,
            description="dbt build (models and tests), KS drift on new days, drift marts"),
        dg.define_asset_job(
            RETRAINING_JOB, retraining_selection(ml_marts),
            description="Train a candidate, evaluate it against production, gate, promote, and "
                        "build the marts on the way (views between included, so each dbt step "
                        "runs after the Python step it reads)"),
        dg.define_asset_job(
            REGISTRY_MARTS_JOB,
            dg.AssetSelection.assets(PRODUCTION_MODEL_KEY).downstream(include_self=False)
            - without_gate,
            description="Rebuild the marts that read the registry (decisions, versions)"),
    ]


def execute_job(defs: dg.Definitions, job_name: str, *, instance: dg.DagsterInstance,
                run_config: dict | None = None, tags: dict | None = None,
                raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    """Run one job of the Definitions in this process, with the Definitions' resources."""
    return defs.resolve_job_def(job_name).execute_in_process(
        run_config=run_config or {}, instance=instance, tags=tags or {},
        raise_on_error=raise_on_error)


def sensor_requests(defs: dg.Definitions, sensor_name: str,
                    instance: dg.DagsterInstance | None = None) -> list[dg.RunRequest]:
    """Evaluate a sensor once with the Definitions' resources; its run requests."""
    sensor = defs.resolve_sensor_def(sensor_name)
    context = dg.build_sensor_context(instance=instance, definitions=defs,
                                      resources=defs.resources)
    result = sensor(context)
    if isinstance(result, dg.SensorResult):
        return list(result.run_requests or [])
    return [r for r in (result if isinstance(result, list) else [result])
            if isinstance(r, dg.RunRequest)]


@dataclass
class Story:
    """What `vigie run` tells: drift by day, the triggers that fired, the promotion decision."""

    drift_by_day: pd.DataFrame
    triggers: list[str] = field(default_factory=list)
    decisions: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = ["drift status by day (production traffic):"]
        lines += [f"  {line}" for line in drift_periods(self.drift_by_day)] or ["  (no days)"]
        lines.append("retraining triggers: " + ("; ".join(self.triggers) if self.triggers
                                                 else "none fired, no retraining"))
        if self.decisions is not None:
            for row in self.decisions.itertuples():
                lines.append(f"promotion decision: {row.candidate_version} vs "
                             f"{row.production_version}: {row.decision.upper()} "
                             f"(candidate AUC {row.candidate_auc:.3f}, production AUC "
                             f"{row.production_auc:.3f}, delta {row.auc_delta:+.3f})")
                lines.append(f"  reasons: {row.reasons}")
        lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        return "\n".join(lines)


def drift_periods(days: pd.DataFrame) -> list[str]:
    """Consecutive days with the same status, as one line each with the largest drift share."""
    lines, start = [], 0
    rows = days.reset_index(drop=True)
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows.loc[i, "status"] != rows.loc[start, "status"]:
            block = rows.iloc[start:i]
            worst = block.loc[block["drift_share"].idxmax()]
            features = f": {worst['drifted_features']}" if worst["drifted_features"] else ""
            lines.append(f"{block['window_date'].iloc[0]} .. {block['window_date'].iloc[-1]} "
                         f"{rows.loc[start, 'status']} (max drift share "
                         f"{worst['drift_share']:.2f}{features})")
            start = i
    return lines


def run_story(config: WarehouseConfig, *, days: int, per_day: int, scenario: str, seed: int,
              start_date: str | None = None,
              progress: Callable[[str], None] = print) -> Story:
    """`vigie run`: the jobs of the Definitions in this process, on one warehouse."""
    from orchestration.definitions import build_definitions
    from orchestration.resources import WarehouseResource

    timings: dict[str, float] = {}
    started = time.perf_counter()
    defs = build_definitions(prepare=True, resources={
        "warehouse": WarehouseResource.from_config(config)})
    instance = dg.DagsterInstance.ephemeral()
    timings["definitions"] = time.perf_counter() - started

    def step(name: str, job: str, **kwargs) -> dg.ExecuteInProcessResult:
        progress(f"{name} ({job} job)")
        begin = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # dbt's log lines; stdout is the summary
            result = execute_job(defs, job, instance=instance, **kwargs)
        timings[name] = time.perf_counter() - begin
        return result

    simulation = {"scenario": scenario, "days": days, "per_day": per_day, "seed": seed,
                  "start_date": start_date}
    step("simulate", SIMULATION_JOB,
         run_config={"ops": {"simulated_traffic": {"config": simulation}}})
    step("monitor", MONITORING_JOB)
    wh = Warehouse(config)
    requests = [r for name in ("drift_retraining_sensor", "new_labels_sensor")
                for r in sensor_requests(defs, name)]
    story = Story(drift_by_day=production_drift(wh), timings=timings)
    story.triggers = [f"{r.tags[TRIGGER_TAG]}: {r.tags[REASON_TAG]}" for r in requests]
    for line in story.triggers:
        progress(f"trigger fired, {line}")
    if requests:
        tags = {TRIGGER_TAG: ",".join(r.tags[TRIGGER_TAG] for r in requests),
                REASON_TAG: requests[0].tags[REASON_TAG]}
        # A blocked candidate fails its blocking checks: an expected outcome, not an error.
        step("retrain", RETRAINING_JOB, tags=tags, raise_on_error=False)
        step("registry marts", REGISTRY_MARTS_JOB)
        story.decisions = read_frame(wh, "select * from marts.promotion_decisions "
                                         "order by decided_at")
    timings["total"] = time.perf_counter() - started
    return story


def production_drift(wh: Warehouse) -> pd.DataFrame:
    """marts.drift_summary rows of the versions that served traffic, by day."""
    return read_frame(wh, "select window_date, model_version, drift_share, status, "
                          "drifted_features from marts.drift_summary order by window_date")
