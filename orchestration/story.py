"""`vigie run`: the jobs of the Definitions on one warehouse, recorded in the project's Dagster
instance, and the story they tell (drift by day, triggers, the promotion decision).

The terminal gets the story; Dagster's DEBUG log and dbt's output go to a log file.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd

from orchestration.assets.io import read_frame
from orchestration.assets.keys import REASON_TAG, TRIGGER_TAG
from orchestration.jobs import MONITORING_JOB, REGISTRY_MARTS_JOB, RETRAINING_JOB, SIMULATION_JOB
from orchestration.sensors import SENSORS
from orchestration.warehouse import Warehouse

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s - %(message)s"


@dg.logger({"path": dg.Field(str), "log_level": dg.Field(str, default_value="DEBUG")},
           description="Dagster's log of a run, appended to a file")
def file_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    path, level = init_context.logger_config["path"], init_context.logger_config["log_level"]
    logger = logging.getLogger(f"vigie.run.{path}")
    logger.setLevel(level)
    logger.propagate = False
    if not logger.handlers:
        handler = logging.FileHandler(path)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logger.addHandler(handler)
    return logger


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """stdout and stderr (dbt's lines, warnings) appended to the log file for a while."""
    with path.open("a") as handle, contextlib.redirect_stdout(handle), \
            contextlib.redirect_stderr(handle):
        yield


def execute_job(defs: dg.Definitions, job_name: str, *, instance: dg.DagsterInstance,
                run_config: dict | None = None, tags: dict | None = None,
                raise_on_error: bool = True,
                log_file: Path | None = None) -> dg.ExecuteInProcessResult:
    """Run one job of the Definitions in this process, with the Definitions' resources; with a
    log file, Dagster's log goes there instead of the console."""
    job = defs.resolve_job_def(job_name)
    config = dict(run_config or {})
    if log_file is not None:
        job = job.with_logger_defs({"file": file_logger})
        config["loggers"] = {"file": {"config": {"path": str(log_file)}}}
    return job.execute_in_process(run_config=config, instance=instance, tags=tags or {},
                                  raise_on_error=raise_on_error)


def sensor_requests(defs: dg.Definitions, sensor_name: str,
                    instance: dg.DagsterInstance, cursor: str | None = None
                    ) -> list[dg.RunRequest]:
    """Evaluate a sensor once against the instance's materializations; its run requests."""
    sensor = defs.resolve_sensor_def(sensor_name)
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
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


def run_story(defs: dg.Definitions, wh: Warehouse, *, instance: dg.DagsterInstance,
              log_file: Path, days: int, per_day: int, scenario: str, seed: int,
              start_date: str | None = None,
              progress: Callable[[str], None] = print) -> Story:
    """Simulate, monitor, ask the sensors, retrain when one fires: each a job of `defs`."""
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str, job: str, **kwargs) -> dg.ExecuteInProcessResult:
        progress(f"{name} ({job} job)")
        begin = time.perf_counter()
        with output_to(log_file):
            result = execute_job(defs, job, instance=instance, log_file=log_file, **kwargs)
        timings[name] = time.perf_counter() - begin
        return result

    simulation = {"scenario": scenario, "days": days, "per_day": per_day, "seed": seed,
                  "start_date": start_date}
    step("simulate", SIMULATION_JOB,
         run_config={"ops": {"simulated_traffic": {"config": simulation}}})
    step("monitor", MONITORING_JOB)
    with output_to(log_file):  # the sensors' own log lines
        requests = [r for sensor in SENSORS
                    for r in sensor_requests(defs, sensor.name, instance)]
    story = Story(drift_by_day=production_drift(wh), timings=timings)
    story.triggers = [f"{r.tags[TRIGGER_TAG]}: {r.tags[REASON_TAG]}" for r in requests]
    for line in story.triggers:
        progress(f"trigger fired, {line}")
    if requests:
        tags = {TRIGGER_TAG: ",".join(r.tags[TRIGGER_TAG] for r in requests),
                REASON_TAG: requests[0].tags[REASON_TAG]}
        # A blocked candidate fails its blocking checks: an expected outcome, not an error.
        result = step("retrain", RETRAINING_JOB, tags=tags, raise_on_error=False)
        if not result.success:
            progress(f"retraining run {result.run_id} did not finish: a blocked candidate "
                     f"stops at its blocking checks (details in {log_file})")
        step("registry marts", REGISTRY_MARTS_JOB)
        story.decisions = read_frame(wh, "select * from marts.promotion_decisions "
                                         "order by decided_at")
    timings["total"] = time.perf_counter() - started
    return story


def production_drift(wh: Warehouse) -> pd.DataFrame:
    """marts.drift_summary rows of the versions that served traffic, by day."""
    return read_frame(wh, "select window_date, model_version, drift_share, status, "
                          "drifted_features from marts.drift_summary order by window_date")
