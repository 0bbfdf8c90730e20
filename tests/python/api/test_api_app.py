"""The app in process (FastAPI's TestClient, real DuckDB): the model status read from marts
written by hand, and the DuckDB writer turning queued requests into one ingestion each run."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
import yaml
from api_rows import AUTH, TOKEN, feedback, prediction
from fastapi.testclient import TestClient

from orchestration.api.app import create_app
from orchestration.api.payloads import body_records
from orchestration.api.settings import ApiSettings
from orchestration.api.writer import Counts, Ingestor, QueuedWriter
from orchestration.seed_config import contract_rules
from orchestration.warehouse import Warehouse, WarehouseError, default_project_dir
from orchestration.warehouse_init import init_warehouse

# The marts the status reads, with exactly the columns it reads, and hand-made rows: v1 was
# production, v2 is now; v2's latest drift day is 2026-11-30 (v1 has a later one).
MARTS = {
    "model_versions": (
        "model_name, model_version, stage_changed_at, validation_auc, is_production",
        "('credit_risk', 'v1', timestamp '2026-11-01 00:00:00', 0.70, false),"
        "('credit_risk', 'v2', timestamp '2026-11-20 00:00:00', 0.72, true)"),
    "drift_summary": (
        "window_date, model_name, model_version, status, drift_share, n_drifted, "
        "n_drift_alerts, alert_share, n_features, drifted_features",
        "(date '2026-11-29', 'credit_risk', 'v2', 'ok', 0.0, 0, 0, 0.0, 10, ''),"
        "(date '2026-11-30', 'credit_risk', 'v2', 'warning', 0.2, 2, 1, 0.1, 10, 'age, sex'),"
        "(date '2026-12-01', 'credit_risk', 'v1', 'alert', 0.5, 5, 5, 0.5, 10, 'a, b, c, d, e')"),
    "fairness_summary": (
        "window_date, model_name, model_version, attribute, demographic_parity_ratio, "
        "passes_four_fifths_rule",
        "(date '2026-11-29', 'credit_risk', 'v2', 'sex', 0.70, false),"
        "(date '2026-11-30', 'credit_risk', 'v2', 'sex', 0.90, true),"
        "(date '2026-11-30', 'credit_risk', 'v2', 'age_band', 0.75, false),"
        "(date '2026-12-01', 'credit_risk', 'v1', 'sex', 0.50, false)"),
    # v2's alert of the 29th no longer stands on its latest day (the 30th); v1's is v1's
    "fairness_alerts": (
        "window_kind, window_date, model_name, model_version, attribute, check_name, "
        "observed_value, ci_low, ci_high, bound, breached_days_in_a_row",
        "('day', date '2026-11-29', 'credit_risk', 'v2', 'sex', 'four_fifths', 0.7, 0.6, 0.78, "
        "0.8, 1),"
        "('7d', date '2026-11-30', 'credit_risk', 'v2', 'age_band', 'four_fifths', 0.72, 0.65, "
        "0.79, 0.8, 3),"
        "('day', date '2026-12-01', 'credit_risk', 'v1', 'sex', 'equalized_odds', 0.3, 0.2, "
        "0.4, 0.1, 1)"),
    "promotion_decisions": (
        "decision_id, model_name, candidate_version, production_version, decided_at, "
        "decision, candidate_auc, production_auc, auc_delta, reasons",
        "('d1', 'credit_risk', 'v2', 'v1', timestamp '2026-11-20 00:00:00', 'promoted', "
        "0.72, 0.70, 0.02, 'all checks passed'),"
        "('d2', 'credit_risk', 'v3', 'v2', timestamp '2026-11-28 00:00:00', 'blocked', "
        "0.74, 0.72, 0.02, 'four_fifths failed for sex')"),
}


def mart_contract_columns(name: str) -> set[str]:
    for path in (Path(default_project_dir()) / "models" / "marts").glob("*/_*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            if model["name"] == name:
                return {c["name"] for c in model["columns"]}
    raise AssertionError(f"no mart {name}")


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_the_status_reads_only_columns_of_the_marts_contracts(mart):
    columns = {c.strip() for c in MARTS[mart][0].split(",")}
    assert columns <= mart_contract_columns(mart)


@pytest.fixture
def client(duckdb_config):
    settings = ApiSettings(warehouse=duckdb_config, token=TOKEN)
    with TestClient(create_app(settings)) as client:
        yield client


def write_marts(warehouse: Warehouse) -> None:
    for name, (columns, values) in MARTS.items():
        warehouse.execute(f"create table marts.{name} as select * from (values {values}) "
                          f"as t({columns})")


def test_model_status_is_the_production_versions_latest_day(client, duckdb_config):
    assert client.get("/v1/models/credit_risk/status", headers=AUTH).status_code == 503
    write_marts(Warehouse(duckdb_config))
    assert client.get("/v1/models/credit_risk/status").status_code == 401
    status = client.get("/v1/models/credit_risk/status", headers=AUTH).json()
    assert status["production"]["model_version"] == "v2"
    assert status["drift"] == {"window_date": "2026-11-30", "is_today": False,
                               "status": "warning", "drift_share": 0.2, "n_drifted": 2,
                               "n_drift_alerts": 1, "alert_share": 0.1,
                               "n_features": 10, "drifted_features": ["age", "sex"]}
    assert [(f["attribute"], f["passes_four_fifths_rule"]) for f in status["four_fifths"]] == \
        [("age_band", False), ("sex", True)]
    assert {f["window_date"] for f in status["four_fifths"]} == {"2026-11-30"}
    assert status["fairness_alerts"] == [{
        "window_kind": "7d", "window_date": "2026-11-30", "attribute": "age_band",
        "check_name": "four_fifths", "observed_value": 0.72, "ci_low": 0.65, "ci_high": 0.79,
        "bound": 0.8, "breached_days_in_a_row": 3}]
    decision = status["last_promotion_decision"]
    assert (decision["decision_id"], decision["decision"]) == ("d2", "blocked")
    assert client.get("/v1/models/churn/status", headers=AUTH).status_code == 404


ALERT_COLUMNS = ("alert_id, alert_kind, check_name, severity, model_name, model_version, "
                 "window_date, raised_at, subject, message, delivery_status, sent_at")


def test_alerts_read_the_mart_newest_first_with_filters(client, duckdb_config):
    assert {c.strip() for c in ALERT_COLUMNS.split(",")} <= mart_contract_columns("alerts")
    assert client.get("/v1/alerts", headers=AUTH).status_code == 503
    Warehouse(duckdb_config).execute(
        f"create table marts.alerts as select * from (values "
        "('a1', 'kpi', 'approval_rate', 'warning', 'credit_risk', 'v1', date '2026-11-29', "
        "timestamp '2026-11-29 00:00:00', 'approval_rate', 'approval_rate -9 %', 'sent', "
        "timestamp '2026-11-29 06:00:00'),"
        "('a2', 'data_health', 'volume', 'warning', 'credit_risk', null, date '2026-11-30', "
        "timestamp '2026-11-30 00:00:00', 'volume', '80 predictions', 'to_send', null),"
        "('a3', 'fairness', 'four_fifths', 'critical', 'churn', 'v4', date '2026-12-01', "
        f"timestamp '2026-12-01 00:00:00', 'sex day', 'x', 'to_send', null)) as t({ALERT_COLUMNS})")
    assert client.get("/v1/alerts").status_code == 401
    listed = client.get("/v1/alerts", headers=AUTH).json()
    assert [a["alert_id"] for a in listed] == ["a3", "a2", "a1"]
    assert listed[1]["model_version"] is None and listed[2]["sent_at"] == "2026-11-29T06:00:00"
    chosen = client.get("/v1/alerts", headers=AUTH, params={
        "model_name": "credit_risk", "delivery_status": "to_send"}).json()
    assert [a["alert_id"] for a in chosen] == ["a2"]
    assert [a["alert_id"] for a in client.get("/v1/alerts", headers=AUTH,
                                              params={"limit": 1}).json()] == ["a3"]
    assert client.get("/v1/alerts", headers=AUTH,
                      params={"delivery_status": "lost"}).status_code == 422


def test_docs_are_served_without_the_token_and_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    scripts = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    assert all(client.get(s).status_code == 200 for s in scripts)
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/predictions", "/v1/feedback", "/v1/health",
            "/v1/models/{model_name}/status", "/v1/alerts"} <= set(paths)


def test_queued_requests_are_one_ingestion_per_run_of_a_source(duckdb_config):
    warehouse = Warehouse(duckdb_config)
    init_warehouse(warehouse)
    ingest = Ingestor(warehouse, contract_rules(duckdb_config.project_dir))
    calls = []

    def recording(source, requests):
        calls.append((source, len(requests)))
        return ingest(source, requests)

    async def scenario():
        writer = QueuedWriter(recording, max_rows=1000, queue_size=10)
        await writer.start()
        try:
            # Queued together before the writer runs: one call for the two prediction
            # requests, then one for the feedback that follows them.
            return await asyncio.gather(
                writer.submit("predictions", records_of([prediction("a"), prediction("b")])),
                writer.submit("predictions", records_of([prediction("a"), prediction("c")])),
                writer.submit("feedback", records_of([feedback("f", "c")])))
        finally:
            await writer.stop()

    first, second, third = asyncio.run(scenario())
    assert calls == [("predictions", 2), ("feedback", 1)]
    assert first == Counts(2, 2, 0, 0, {})
    assert second == Counts(2, 1, 1, 0, {})
    assert third == Counts(1, 1, 0, 0, {})
    # The feedback's prediction was stored by the run before it: not an orphan.
    assert warehouse.scalar("select is_orphan_at_ingestion from raw.feedback") is False


def test_a_body_streamed_past_the_limit_is_refused_before_it_is_read(duckdb_config):
    settings = ApiSettings(warehouse=duckdb_config, token=TOKEN, max_body_bytes=1000)
    row = json.dumps(prediction("s")).encode() + b"\n"

    def chunks():  # no Content-Length: the limit is checked as the bytes arrive
        for _ in range(20):
            yield row

    with TestClient(create_app(settings)) as client:
        response = client.post("/v1/predictions", content=chunks(),
                               headers={"content-type": "application/x-ndjson", **AUTH})
    assert response.status_code == 413 and "1,000 bytes" in response.json()["detail"]
    assert Warehouse(duckdb_config).scalar("select count(*) from raw.quarantine") == 0


def test_a_write_the_warehouse_refuses_is_a_503_and_the_writer_goes_on():
    failures = iter([WarehouseError("database is locked")])

    def ingest(source, requests):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return [Counts(len(r), len(r), 0, 0, {}) for r in requests]

    async def scenario():
        writer = QueuedWriter(ingest, max_rows=10, queue_size=2)
        await writer.start()
        try:
            with pytest.raises(WarehouseError):
                await writer.submit("predictions", records_of([prediction("a")]))
            return await writer.submit("predictions", records_of([prediction("a")]))
        finally:
            await writer.stop()

    assert asyncio.run(scenario()) == Counts(1, 1, 0, 0, {})


def test_the_route_answers_503_when_the_warehouse_refuses(client):
    class Refusing:
        async def submit(self, source, records):
            raise WarehouseError("the DuckDB warehouse at x is locked by another process")

    client.app.state.writer = Refusing()
    response = client.post("/v1/predictions", json=prediction("a"), headers=AUTH)
    assert response.status_code == 503
    assert "locked by another process" in response.json()["detail"]


def records_of(rows):
    return body_records("application/json", json.dumps(rows).encode())
