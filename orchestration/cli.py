"""The `vigie` command: set up a warehouse, ingest files, simulate traffic, build and run."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

import click

from orchestration import cli_checks
from orchestration.cli_common import (
    SCENARIOS,
    OneLineErrorGroup,
    chunk_size_option,
    one_line_errors,
    say,
    target_option,
    warehouse_for,
)
from orchestration.warehouse import Warehouse, WarehouseConfig
from orchestration.warehouse_init import init_warehouse


@click.group(help="Vigie: a dbt + SQL-first data-validation and model-monitoring warehouse.\n\n"
                  "`vigie run` does the whole job on simulated traffic; the other verbs are its "
                  "steps, for your own data.", cls=OneLineErrorGroup)
def main() -> None:
    """Entry point of the console script."""


@main.command(help="Create the raw schema and tables (idempotent).")
@target_option
@one_line_errors
def init(target: str | None) -> None:
    # The one verb that may create a DuckDB warehouse, and its folder, where none was.
    warehouse = Warehouse(WarehouseConfig.from_env(target=target), create=True)
    created = init_warehouse(warehouse)
    say(f"{warehouse.target} warehouse at {warehouse.config.where}: "
        + (f"created {', '.join(created)}" if created else "raw tables already there"))


@main.group(help="Validate a file against the raw contract and append it; bad rows go to "
                 "raw.quarantine. Formats: JSON Lines (.jsonl/.ndjson/.json), CSV, Parquet. "
                 "Timestamps without a time zone are read as UTC.")
def ingest() -> None:
    """Group of ingestion verbs."""


@ingest.command("predictions", help="Ingest logged predictions (raw.predictions).")
@click.argument("path", type=click.Path(dir_okay=False))
@target_option
@chunk_size_option
@one_line_errors
def ingest_predictions(path: str, target: str | None, chunk_size: int) -> None:
    _ingest(path, target, "predictions", chunk_size)


@ingest.command("feedback", help="Ingest labels, ratings and implicit events (raw.feedback).")
@click.argument("path", type=click.Path(dir_okay=False))
@target_option
@chunk_size_option
@one_line_errors
def ingest_feedback(path: str, target: str | None, chunk_size: int) -> None:
    _ingest(path, target, "feedback", chunk_size)


def _ingest(path: str, target: str | None, source: str, chunk_size: int) -> None:
    from orchestration.ingest import ingest_file
    from orchestration.progress import ingest_progress
    from orchestration.readers import check_readable
    from orchestration.seed_config import contract_rules

    check_readable(path)  # before init: a missing file leaves no new warehouse behind
    warehouse = warehouse_for(target)
    init_warehouse(warehouse)
    with ingest_progress(path, source) as progress:
        report = ingest_file(warehouse, source, path, chunk_size=chunk_size,
                             rules=contract_rules(warehouse.config.project_dir),
                             progress=progress)
    click.echo(report.summary())


@ingest.command("reference", help="Ingest the training rows of a model version "
                                  "(one row per training row, one column per feature).")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--model-version", required=True, help="The version trained on these rows.")
@click.option("--model-name", default="credit_risk", show_default=True)
@target_option
@one_line_errors
def ingest_reference(path: str, model_version: str, model_name: str, target: str | None) -> None:
    from orchestration.ingest_reference import ingest_reference_file
    from orchestration.seed_config import feature_schema

    warehouse = warehouse_for(target)
    init_warehouse(warehouse)
    features = [r["feature_name"] for r in feature_schema(warehouse.config.project_dir,
                                                          model_name)]
    if not features:
        raise ValueError(f"model {model_name!r} has no features in seeds/feature_schema.csv")
    report, ignored = ingest_reference_file(warehouse, path, model_name=model_name,
                                            model_version=model_version, features=features)
    click.echo(report.summary())
    if ignored:
        click.echo(f"columns left out (not features of {model_name}): {', '.join(ignored)}")


def simulation_options(command: Callable) -> Callable:
    for option in reversed([
        click.option("--days", type=click.IntRange(min=1), default=60, show_default=True),
        click.option("--per-day", type=click.IntRange(min=1), default=1000, show_default=True),
        click.option("--scenario", type=click.Choice(SCENARIOS), default="migration",
                     show_default=True, help="clean, gradual, sudden, migration (the incident), "
                                             "concept drift, correlation (two features' "
                                             "correlation flips, their distributions do not) or "
                                             "weekly (no drift, a weekly rhythm: fewer "
                                             "applicants at weekends, for larger loans)."),
        click.option("--seed", type=int, default=7, show_default=True),
        click.option("--start-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="First simulated day (default: DAYS days before today, UTC)."),
    ]):
        command = option(command)
    return command


@main.command(help="Simulate production traffic from the German credit data and ingest it.")
@simulation_options
@target_option
@one_line_errors
def simulate(days, per_day, scenario, seed, start_date, target) -> None:
    _simulate(warehouse_for(target), days, per_day, scenario, seed, start_date)


def _simulate(warehouse, days, per_day, scenario, seed, start_date) -> None:
    from orchestration.simulation import simulate_into

    init_warehouse(warehouse)
    started = time.perf_counter()
    report = simulate_into(warehouse, days=days, per_day=per_day, scenario=scenario, seed=seed,
                           start_date=start_date.date() if isinstance(start_date, dt.datetime)
                           else start_date,
                           project_dir=warehouse.config.project_dir, progress=say)
    click.echo(report.predictions.summary())
    click.echo(report.feedback.summary())
    say(f"simulated {scenario} from {report.start_date} for {days} days "
        f"in {time.perf_counter() - started:.1f}s")


@main.command(help="Write a static HTML report drawn from the marts.")
@click.option("--output", default="warehouse/report.html", show_default=True,
              type=click.Path(dir_okay=False))
@target_option
@one_line_errors
def report(output: str, target: str | None) -> None:
    from orchestration.report import write_report

    path = write_report(warehouse_for(target), output)
    click.echo(f"report written to {path}")


@main.command(help="Build the marts as Dagster's monitoring job does: `dbt build` (seeds, "
                    "models, tests), KS / chi-square on the days that need it, then the drift "
                    "marts and their tests.")
@target_option
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental marts from scratch.")
@one_line_errors
def build(target: str | None, full_refresh: bool) -> None:
    from orchestration.build import build_warehouse

    n_tests = build_warehouse(WarehouseConfig.from_env(target=target), full_refresh=full_refresh)
    say(f"drift tests computed: {n_tests}")


@main.command(help="The whole story on simulated traffic, through the Dagster definitions: "
                    "simulate, dbt build, KS drift, drift marts, then (when a retraining "
                    "trigger holds) train, evaluate, gate and promote or block.")
@simulation_options
@target_option
@one_line_errors
def run(days, per_day, scenario, seed, start_date, target) -> None:
    from orchestration.definitions import build_definitions
    from orchestration.instance import project_instance
    from orchestration.report import write_report
    from orchestration.resources import WarehouseResource
    from orchestration.story import run_story

    # The whole job from nothing, `vigie init` included: it may create the warehouse.
    warehouse = Warehouse(WarehouseConfig.from_env(target=target), create=True)
    say(f"init {warehouse.target} warehouse at {warehouse.config.where}")
    init_warehouse(warehouse)
    folder = Path(warehouse.config.project_dir) / "warehouse"
    if warehouse.target == "duckdb":
        folder = Path(warehouse.config.resolved_duckdb_path).parent
    elif warehouse.config.local_spark:
        folder = Path(warehouse.config.resolved_spark_dir)
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / "vigie-run.log"
    log_file.write_text("")
    instance = project_instance(warehouse.config.project_dir)
    say(f"Dagster instance {instance.root_directory} (`make dagster` shows these runs); "
        f"Dagster's log: {log_file}")
    defs = build_definitions(prepare=True, resources={
        "warehouse": WarehouseResource.from_config(warehouse.config)})
    story = run_story(defs, warehouse, instance=instance, log_file=log_file, days=days,
                      per_day=per_day, scenario=scenario, seed=seed,
                      start_date=start_date.date().isoformat() if start_date else None,
                      progress=say)
    click.echo(story.summary())
    click.echo(f"report: {write_report(warehouse, folder / 'report.html')}")


@main.command(help="Serve the HTTP ingestion API: POST /v1/predictions and /v1/feedback (the "
                    "same validation and quarantine as `vigie ingest`), GET /v1/health and "
                    "/v1/models/NAME/status; OpenAPI docs at /docs. Clients send "
                    "`Authorization: Bearer $VIGIE_API_TOKEN`; without that variable the "
                    "server refuses to start.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--max-body-bytes", type=click.IntRange(min=1), default=None,
              help="Largest request body; a larger one gets 413 (default: "
                   "$VIGIE_API_MAX_BODY_BYTES or 8 MiB).")
@click.option("--insecure-no-token", is_flag=True,
              help="Serve without authentication when VIGIE_API_TOKEN is unset (local trials).")
@target_option
@one_line_errors
def serve(host: str, port: int, max_body_bytes: int | None, insecure_no_token: bool,
          target: str | None) -> None:
    from orchestration.api.server import run_server
    from orchestration.api.settings import ApiSettings

    settings = ApiSettings.from_env(target=target, max_body_bytes=max_body_bytes,
                                    allow_no_token=insecure_no_token)
    if settings.token is None:
        say("vigie serve: WARNING: no VIGIE_API_TOKEN (--insecure-no-token): any client writes")
    run_server(settings, host=host, port=port)


@main.command("grant-bi", help="PostgreSQL: create a login role for BI tools that reads the "
                                "marts schema and nothing else (not raw, staging, "
                                "intermediate); password from $VIGIE_BI_PASSWORD. Set "
                                "VIGIE_BI_ROLE to it so every build grants it again.")
@click.option("--role", default=None,
              help="Role name (default: the first of $VIGIE_BI_ROLE, else vigie_bi).")
@target_option
@one_line_errors
def grant_bi(role: str | None, target: str | None) -> None:
    from orchestration.grants import BI_PASSWORD_ENV, BI_ROLE_ENV, default_bi_role
    from orchestration.grants import grant_bi as grant

    warehouse = warehouse_for(target)
    role = role or default_bi_role()
    report = grant(warehouse, role, os.environ.get(BI_PASSWORD_ENV) or None)
    click.echo(report.summary())
    if role not in [r.strip() for r in os.environ.get(BI_ROLE_ENV, "").split(",")]:
        say(f"set {BI_ROLE_ENV}={role} for `vigie build` / dbt: its grants config then gives "
            f"{role} SELECT on every mart it rebuilds")


@main.command(help="Make an earlier model version production again (recorded in the registry).")
@click.argument("version")
@click.option("--model-name", default="credit_risk", show_default=True)
@click.option("--reason", default="manual rollback", show_default=True)
@target_option
@one_line_errors
def rollback(version: str, model_name: str, reason: str, target: str | None) -> None:
    from orchestration.registry import rollback as rollback_version

    warehouse = warehouse_for(target)
    rollback_version(warehouse, model_name=model_name, model_version=version, reason=reason)
    click.echo(f"{model_name} {version} is production again ({reason})")


for command in cli_checks.COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main()
