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
from orchestration.jobs import (
    ALERT_DELIVERY_JOB,
    MONITORING_JOB,
    REGISTRY_MARTS_JOB,
    RETRAINING_JOB,
    SIMULATION_JOB,
)
from orchestration.seed_config import thresholds
from orchestration.sensors import DECISION_SENSORS, SENSORS
from orchestration.story_lines import (
    alert_lines,
    decision_lines,
    drift_periods,
    fairness_alert_lines,
    first_alert_day,
    parity_lines,
)
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
    """What `vigie run` tells: drift by day, production's parity, the triggers that fired, each
    promotion decision with its gate checks, and the mitigation that answered a block."""

    drift_by_day: pd.DataFrame
    parity: pd.DataFrame | None = None
    fairness_alerts: pd.DataFrame | None = None
    four_fifths_bound: float = 0.8
    triggers: list[str] = field(default_factory=list)
    decisions: pd.DataFrame | None = None
    checks: pd.DataFrame | None = None
    # How each version was trained (the registry's registrations, staging.stg_raw__model_registry)
    registrations: pd.DataFrame | None = None
    alerts: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = ["drift status by day (production traffic):"]
        lines += [f"  {line}" for line in drift_periods(self.drift_by_day)] or ["  (no days)"]
        if self.parity is not None:
            lines += parity_lines(self.parity, first_alert_day(self.drift_by_day),
                                  self.four_fifths_bound)
        if self.fairness_alerts is not None:
            lines += fairness_alert_lines(self.fairness_alerts)
        lines.append("retraining triggers: " + ("; ".join(self.triggers) if self.triggers
                                                 else "none fired, no retraining"))
        checks = self.checks if self.checks is not None else pd.DataFrame(
            columns=["evaluation_id"])
        trained = ({} if self.registrations is None else
                   self.registrations.set_index("model_version").to_dict("index"))
        for decision in ([] if self.decisions is None
                         else self.decisions.to_dict("records")):
            rows = checks.loc[checks["evaluation_id"] == decision["evaluation_id"]]
            lines += decision_lines(decision, rows.to_dict("records"),
                                    trained.get(decision["candidate_version"], {}))
        if self.alerts is not None:
            lines += alert_lines(self.alerts)
        lines.append("timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()))
        return "\n".join(lines)


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
        retrain(step, "retrain", {}, tags, log_file, progress)
        # A naive candidate blocked for fairness is answered by a mitigated one: the sensor on
        # the decision record asks for it, and it runs here as a daemon would run it.
        with output_to(log_file):
            answers = [r for sensor in DECISION_SENSORS
                       for r in sensor_requests(defs, sensor.name, instance)]
        for request in answers:
            line = f"{request.tags[TRIGGER_TAG]}: {request.tags[REASON_TAG]}"
            story.triggers.append(line)
            progress(f"trigger fired, {line}")
            retrain(step, "mitigated retrain", request.run_config, request.tags, log_file,
                    progress)
        step("registry marts", REGISTRY_MARTS_JOB)
        story.decisions = read_frame(wh, "select * from marts.promotion_decisions "
                                         "order by decided_at")
        story.registrations = read_frame(
            wh, "select model_version, training_method, answers_version "
                "from staging.stg_raw__model_registry where registry_event = 'registered'")
        # In the name's order: the same lines on every engine (a table has no order of its own).
        story.checks = read_frame(wh, "select * from marts.promotion_gate_checks "
                                      "order by evaluation_id, check_name")
    # What the alert sensor asks for after a decision: marts.alerts rebuilt (a blocked promotion
    # is an alert), then sent when VIGIE_ALERT_WEBHOOK_URL is set (else nothing is sent).
    if not step("alerts", ALERT_DELIVERY_JOB, raise_on_error=False).success:
        progress(f"alert delivery did not finish (details in {log_file}); `vigie alerts --send` "
                 "tries again")
    story.parity = production_parity(wh)
    story.fairness_alerts = production_fairness_alerts(wh)
    story.four_fifths_bound = thresholds(wh.config.project_dir)["four_fifths_ratio"]
    story.alerts = read_frame(wh, "select alert_kind, alert_key, window_date from marts.alerts")
    timings["total"] = time.perf_counter() - started
    return story


def retrain(step: Callable, name: str, run_config: dict, tags: dict, log_file: Path,
            progress: Callable[[str], None]) -> None:
    """One retraining run; a blocked candidate is reported, not raised."""
    # A blocked candidate fails its blocking checks: an expected outcome, not an error.
    result = step(name, RETRAINING_JOB, run_config=run_config, tags=tags, raise_on_error=False)
    if not result.success:
        progress(f"{name} run {result.run_id} did not finish: a blocked candidate stops at "
                 f"its blocking checks (details in {log_file})")


def production_parity(wh: Warehouse) -> pd.DataFrame:
    """marts.fairness_summary: each day's demographic parity ratio of the served versions."""
    return read_frame(wh, "select window_date, model_version, attribute, "
                          "demographic_parity_ratio from marts.fairness_summary "
                          "where demographic_parity_ratio is not null order by window_date")


def production_fairness_alerts(wh: Warehouse) -> pd.DataFrame:
    """marts.fairness_alerts: the day windows of the versions that served traffic."""
    return read_frame(wh, "select window_date, attribute, check_name "
                          "from marts.fairness_alerts where window_kind = 'day' "
                          "order by window_date, attribute, check_name")


def production_drift(wh: Warehouse) -> pd.DataFrame:
    """marts.drift_summary rows of the versions that served traffic, by day."""
    return read_frame(wh, "select window_date, model_version, drift_share, status, "
                          "drifted_features from marts.drift_summary order by window_date")
