"""The `vigie` verbs that test the data and the model before and around production: `audit`
(two datasets compared), `fuzz` (a version tested from its schema) and `alerts` (marts.alerts
listed and sent). Registered on the `vigie` group by orchestration/cli.py."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orchestration.cli_common import one_line_errors, say, target_option, warehouse_for
from orchestration.warehouse import WarehouseConfig, WarehouseError
from orchestration.warehouse_init import init_warehouse


@click.command(help="Test a stored model version from its schema: score inputs generated from "
                    "seeds/feature_schema.csv (bounds and just inside, every category, nulls, "
                    "their combinations, seeded random cases, small steps, counterfactuals of "
                    "the sensitive attributes) into raw.model_fuzz_scores, build "
                    "marts.model_fuzz_results and print it: counterfactual flip rates by "
                    "attribute, score range, stability, monotonicity. Re-running replaces the "
                    "version's rows.")
@click.argument("version")
@click.option("--model-name", default="credit_risk", show_default=True)
@click.option("--cases", "n_random", type=click.IntRange(min=1), default=1000,
              show_default=True, help="Random cases within bounds (each with its steps and "
                                      "counterfactuals).")
@click.option("--seed", type=int, default=20261210, show_default=True)
@click.option("--model-store", default=None, type=click.Path(file_okay=False),
              help="Folder of model artifacts (default: $VIGIE_MODEL_STORE, else models/ "
                   "beside the warehouse).")
@target_option
@one_line_errors
def fuzz(version: str, model_name: str, n_random: int, seed: int, model_store: str | None,
         target: str | None) -> None:
    from orchestration.dbt_runner import run_dbt
    from orchestration.fuzz import (
        FUZZ_MART_SELECTION,
        fuzz_version,
        read_fuzz_results,
        results_table,
    )
    from orchestration.model_store import ModelStore
    from orchestration.resources import default_model_store_root

    warehouse = warehouse_for(target)
    init_warehouse(warehouse)
    store = ModelStore(Path(model_store or default_model_store_root(warehouse.config)))
    report = fuzz_version(warehouse, store, model_name, version, n_random=n_random, seed=seed)
    say(report.summary())
    run_dbt(["build", "--select", *FUZZ_MART_SELECTION], warehouse.config, capture=True)
    click.echo(results_table(read_fuzz_results(warehouse, model_name, version)))


@click.command(help="Compare two datasets before trusting the second: schema (gone, new, type "
                    "changed, likely renamed columns), null rates and distribution shift per "
                    "column, each sensitive group's share, label rate and outcome rate. A "
                    "dataset is a file (CSV, JSON Lines, Parquet; a `row_id` and an `outcome` "
                    "column are read as such), table:SCHEMA.TABLE, predictions:FROM..TO (the "
                    "model's predictions of those UTC days with their latest labels, as of the "
                    "last `vigie build`) or reference[:VERSION]. Prints the checks that did not "
                    "pass, one line each (marts.audit_findings has them all).")
@click.option("--baseline", required=True, help="The dataset trusted so far.")
@click.option("--candidate", required=True, help="The dataset to audit.")
@click.option("--model-name", default="credit_risk", show_default=True,
              help="Whose sensitive groups (seeds/feature_schema.csv) and outcomes to use.")
@click.option("--fail-on", default=None,
              help="Exit 1 when a check of these kinds did not pass (or could not be "
                   "assessed): comma-separated schema, nulls, drift, representation, labels, "
                   "or all.")
@click.option("--audit-id", default=None, help="Id of the audit (default: a new one).")
@target_option
@one_line_errors
def audit(baseline: str, candidate: str, model_name: str, fail_on: str | None,
          audit_id: str | None, target: str | None) -> None:
    from orchestration.audit import parse_fail_on, report_lines, run_audit

    kinds = parse_fail_on(fail_on)  # before any work: a typo fails at once
    result = run_audit(WarehouseConfig.from_env(target=target), baseline=baseline,
                       candidate=candidate, model_name=model_name, audit_id=audit_id,
                       capture=True)
    for line in report_lines(result):
        click.echo(line)
    failed = result.failing(kinds) if kinds else result.findings.iloc[0:0]
    if len(failed):
        kinds_failed = sorted(set(failed["finding_kind"]))
        click.echo(f"vigie audit: FAILED on {', '.join(kinds_failed)} "
                   f"({len(failed)} checks not passed)", err=True)
        sys.exit(1)


@click.command(help="List marts.alerts (drift, fairness, KPI, blocked promotion, data health), "
                    "one line each, newest first; with --send, deliver the ones to send to "
                    "$VIGIE_ALERT_WEBHOOK_URL (Slack-compatible JSON) and record the others "
                    "suppressed. Each alert goes out once; a re-run sends nothing new.")
@click.option("--send", is_flag=True,
              help="Deliver to the webhook (needs VIGIE_ALERT_WEBHOOK_URL).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="Most alerts listed.")
@target_option
@one_line_errors
def alerts(send: bool, limit: int, target: str | None) -> None:
    from orchestration.alerting import WEBHOOK_URL_ENV, WebhookSettings, deliver_alerts

    warehouse = warehouse_for(target)
    if send:
        settings = WebhookSettings.from_env()
        if settings is None:
            raise ValueError(f"--send needs {WEBHOOK_URL_ENV} (the webhook to post to)")
        report = deliver_alerts(warehouse, settings)
        say(f"alerts: {report.sent} sent, {report.suppressed} suppressed, "
            f"{report.failed} failed")
        for error in report.errors[:5]:
            say(f"  failed: {error}")
        if report.failed:
            sys.exit(1)
        return
    if not warehouse.table_exists("marts", "alerts"):
        raise WarehouseError("marts.alerts does not exist yet: run `vigie build` first")
    rows = warehouse.query_df(
        "select severity, alert_kind, model_name, model_version, window_date, message, "
        "delivery_status from marts.alerts order by raised_at desc, alert_id desc "
        f"limit {int(limit)}")
    for row in rows.itertuples(index=False):
        version = f" {row.model_version}" if isinstance(row.model_version, str) else ""
        click.echo(f"{row.window_date} {row.severity:<8} {row.alert_kind:<11} "
                   f"{row.model_name}{version} [{row.delivery_status}] {row.message}")
    say(f"{len(rows)} alert(s) listed")


COMMANDS = (fuzz, audit, alerts)
