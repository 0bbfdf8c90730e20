"""Issue 15, items 3 and 4, through the real `vigie simulate`, `vigie build` and `vigie alerts`,
the Dagster sensor and job, and a webhook receiver on 127.0.0.1, on DuckDB and PostgreSQL.

The stream is `weekly` (weekends 60 % of a weekday's traffic) with 60 % of one Wednesday's
predictions deleted before the build. marts.data_health is checked against pandas, numpy and
scipy on the raw rows: the weekday-aware volume (only that Wednesday is an anomaly), label
latency, label coverage by group with its z statistic (scipy's chi-square without correction
is z²), freshness. The webhook receives exactly one post per new alert (the latest of each
key), none on a re-run, and none for a new alert of a key sent less than
alert_suppression_hours ago."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from conftest import make_config
from scipy.stats import chi2_contingency
from test_cli_build_sequence import vigie

from orchestration.alerting import WEBHOOK_URL_ENV, WebhookSettings, post_json, slack_body
from orchestration.dbt_runner import run_dbt
from orchestration.definitions import build_definitions
from orchestration.jobs import ALERT_DELIVERY_JOB
from orchestration.resources import WarehouseResource
from orchestration.sensors import ALERT_SOURCE_KEYS, alert_delivery_sensor, alert_trigger
from orchestration.warehouse import Warehouse

DAYS, PER_DAY, START = 35, 200, dt.date(2026, 1, 5)  # a Monday
THINNED_DAY, KEEP = dt.date(2026, 2, 4), 80  # a Wednesday: 80 of its predictions kept
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
THRESHOLDS = pd.read_csv(SEEDS / "thresholds.csv").set_index("threshold_name")["threshold_value"]


class Receiver:
    """A webhook on 127.0.0.1 that keeps every JSON body and answers `status`."""

    def __init__(self, status: int = 200):
        self.bodies: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        return [body["vigie"]["alert_id"] for body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"alerts-{request.param}")
    config, drop = make_config(request.param, tmp)
    for args in (("init",),
                 ("simulate", "--days", str(DAYS), "--per-day", str(PER_DAY), "--scenario",
                  "weekly", "--seed", "11", "--start-date", START.isoformat())):
        done = vigie(config, tmp, *args)
        assert done.returncode == 0, (args, done.stdout[-3000:], done.stderr[-3000:])
    warehouse = Warehouse(config)
    with warehouse.connect() as conn:
        conn.exec_driver_sql(
            "delete from raw.predictions where prediction_id in ("
            "select prediction_id from raw.predictions "
            f"where cast(scored_at as date) = '{THINNED_DAY}' "
            f"order by prediction_id offset {KEEP})")
    done = vigie(config, tmp, "build")
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    yield warehouse, config, tmp
    drop()


def frame(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    result = warehouse.query_df(sql)
    if "window_date" in result:
        result["window_date"] = pd.to_datetime(result["window_date"]).dt.date
    return result


def raw_predictions(warehouse: Warehouse) -> pd.DataFrame:
    rows = frame(warehouse, "select prediction_id, scored_at, ingested_at, "
                            "cast(features as varchar) as features from raw.predictions")
    rows["window_date"] = pd.to_datetime(rows["scored_at"]).dt.date
    features = rows.pop("features").map(json.loads)
    rows["sex"] = features.map(lambda f: f.get("sex"))
    rows["age"] = features.map(lambda f: f.get("age"))
    return rows


def first_labels(warehouse: Warehouse) -> pd.DataFrame:
    return frame(warehouse, "select prediction_id, min(received_at) as first_label_at "
                            "from raw.feedback where lower(kind) = 'label' "
                            "and outcome is not null group by prediction_id")


def test_volume_is_judged_against_the_same_weekday(built):
    warehouse, _, _ = built
    counts = raw_predictions(warehouse).groupby("window_date").size()
    days = pd.Series(0, index=[START + dt.timedelta(d) for d in range(DAYS)])
    days.update(counts)
    health = frame(warehouse, "select * from marts.data_health order by window_date")
    assert list(health["window_date"]) == list(days.index)
    assert list(health["n_predictions"]) == list(days)
    weeks = THRESHOLDS["data_health_volume_baseline_weeks"]
    for row in health.itertuples():
        same = [days[row.window_date - dt.timedelta(7 * k)]
                for k in range(1, int(weeks) + 1)
                if row.window_date - dt.timedelta(7 * k) >= START]
        assert row.n_volume_baseline_days == len(same)
        if len(same) < THRESHOLDS["data_health_volume_min_baseline_weeks"]:
            assert pd.isna(row.volume_change) and pd.isna(row.is_volume_anomaly)
            continue
        change = days[row.window_date] / np.mean(same) - 1
        assert row.volume_change == pytest.approx(change, rel=1e-12)
        assert row.is_volume_anomaly == (abs(change) > THRESHOLDS[
            "data_health_volume_change_ratio"])
    # weekends are 60 % of a weekday and never an anomaly against their own weekday
    assert list(health.loc[health["is_volume_anomaly"].fillna(False).astype(bool),
                           "window_date"]) == [THINNED_DAY]


def test_label_latency_and_coverage_by_group_match_numpy_and_scipy(built):
    warehouse, _, _ = built
    rows = raw_predictions(warehouse).merge(first_labels(warehouse), on="prediction_id",
                                            how="left")
    rows["latency_days"] = (pd.to_datetime(rows["first_label_at"])
                            - pd.to_datetime(rows["scored_at"])).dt.total_seconds() / 86400
    health = frame(warehouse, "select * from marts.data_health").set_index("window_date")
    for day, day_rows in rows.groupby("window_date"):
        latencies = day_rows["latency_days"].dropna().to_numpy()
        assert health.loc[day, "n_labelled"] == len(latencies)
        if len(latencies):
            assert health.loc[day, "label_latency_p50_days"] == pytest.approx(
                np.quantile(latencies, 0.5), rel=1e-9)
            assert health.loc[day, "label_latency_p95_days"] == pytest.approx(
                np.quantile(latencies, 0.95), rel=1e-9)

    rows["labelled"] = rows["first_label_at"].notna()
    rows["age_band"] = pd.cut(rows["age"].astype(float), [0, 25, 40, 60, np.inf], right=False,
                              labels=["under_25", "25_39", "40_59", "60_and_over"])
    coverage = frame(warehouse, "select * from marts.data_health_label_coverage")
    coverage = coverage.set_index(["window_date", "attribute", "group_name"])
    for attribute, column in (("sex", "sex"), ("age", "age_band")):
        groups = rows.groupby(["window_date", column], observed=True)["labelled"].agg(
            ["size", "sum"])
        for day, day_groups in groups.groupby(level=0):
            judged = day_groups[day_groups["size"] >= THRESHOLDS["min_group_size"]]
            rates = judged["sum"] / judged["size"]
            best = rates.idxmax() if len(rates) else None
            for (_, group), (size, labelled) in day_groups.iterrows():
                mart = coverage.loc[(day, attribute, str(group))]
                assert (mart["n_predictions"], mart["n_labelled"]) == (size, labelled)
                if (day, group) not in judged.index or rates.max() == 0:
                    assert pd.isna(mart["coverage_ratio_to_best"])
                    continue
                ratio = (labelled / size) / rates.max()
                assert mart["coverage_ratio_to_best"] == pytest.approx(ratio, rel=1e-12)
                table = [[labelled, size - labelled],
                         [judged.loc[best, "sum"], judged.loc[best, "size"] - judged.loc[
                             best, "sum"]]]
                z = 0.0 if (day, group) == best else np.sqrt(
                    chi2_contingency(table, correction=False)[0])
                assert mart["coverage_gap_z"] == pytest.approx(z, rel=1e-9, abs=1e-12)
                flagged = (ratio < THRESHOLDS["label_coverage_ratio_min"]
                           and z >= THRESHOLDS["label_coverage_min_z"])
                assert bool(mart["is_under_covered"]) == flagged
    # (no group of this stream is labelled unevenly enough: the dbt unit tests have one that is)
    uneven = health["is_label_coverage_uneven"].fillna(False).astype(bool)
    assert uneven.sum() == health["under_covered_groups"].notna().sum()


def test_freshness_is_judged_on_the_latest_day(built):
    warehouse, _, _ = built
    rows = raw_predictions(warehouse)
    health = frame(warehouse, "select * from marts.data_health order by window_date")
    latest = health[health["is_latest_day"]]
    assert list(latest["window_date"]) == [max(rows["window_date"])]
    checked_at = pd.Timestamp(latest["checked_at"].iloc[0])
    hours = (checked_at - pd.to_datetime(rows["scored_at"]).max()).total_seconds() / 3600
    assert latest["hours_since_latest_score"].iloc[0] == pytest.approx(hours, rel=1e-9)
    # the simulated days are long past: stale, whereas ingestion was minutes ago
    assert latest["is_stale"].iloc[0] and latest["hours_since_latest_ingestion"].iloc[0] < 1
    assert health.loc[~health["is_latest_day"], "is_stale"].isna().all()


def latest_of_each_key(alerts: pd.DataFrame) -> set[str]:
    ordered = alerts.sort_values(["raised_at", "alert_id"])
    return set(ordered.groupby("alert_key")["alert_id"].last())


def cli(config, tmp, url: str, *args: str) -> subprocess.CompletedProcess:
    os.environ[WEBHOOK_URL_ENV] = url
    try:
        return vigie(config, tmp, *args)
    finally:
        del os.environ[WEBHOOK_URL_ENV]


def test_each_new_alert_reaches_the_webhook_once(built, receiver, monkeypatch, tmp_path):
    warehouse, config, tmp = built
    alerts = frame(warehouse, "select * from marts.alerts")
    assert set(alerts["delivery_status"]) == {"to_send", "to_suppress"}
    assert {"drift", "fairness", "kpi", "data_health"} <= set(alerts["alert_kind"])

    # the sensor asks for a delivery once the marts it reads were materialized, the job sends
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        monkeypatch.setenv(WEBHOOK_URL_ENV, receiver.url)
        assert isinstance(alert_delivery_sensor(context), dg.SkipReason)  # nothing built yet
        for key in ALERT_SOURCE_KEYS:
            instance.report_runless_asset_event(dg.AssetMaterialization(key))
        result = alert_delivery_sensor(dg.build_sensor_context(instance=instance))
        assert len(result.run_requests) == 1
        again = alert_delivery_sensor(dg.build_sensor_context(instance=instance,
                                                              cursor=result.cursor))
        assert isinstance(again, dg.SkipReason)
        defs = build_definitions(tmp_path / "dbt_target", prepare=True, resources={
            "warehouse": WarehouseResource.from_config(config)})
        job = defs.resolve_job_def(ALERT_DELIVERY_JOB)
        assert job.execute_in_process(instance=instance, tags=result.run_requests[0].tags
                                      ).success
    monkeypatch.delenv(WEBHOOK_URL_ENV)

    expected = latest_of_each_key(alerts)
    assert sorted(receiver.ids()) == sorted(expected)  # one post per key, none twice
    body = receiver.bodies[0]
    assert body["text"] == body["blocks"][0]["text"]["text"] and "Vigie" in body["text"]
    handled = frame(warehouse, "select alert_id, delivery_status from raw.alert_deliveries")
    assert set(handled.loc[handled["delivery_status"] == "sent", "alert_id"]) == expected
    assert sorted(handled["alert_id"]) == sorted(alerts["alert_id"])  # each handled once

    # a re-run sends nothing
    done = cli(config, tmp, receiver.url, "alerts", "--send")
    assert done.returncode == 0, done.stderr
    assert "0 sent, 0 suppressed, 0 failed" in done.stderr and len(receiver.bodies) == len(
        expected)

    # a rebuild raises the stale alert again (freshness is measured at the build): a new alert
    # of a key sent less than alert_suppression_hours ago is suppressed, not sent
    assert vigie(config, tmp, "build").returncode == 0
    statuses = frame(warehouse, "select check_name, delivery_status from marts.alerts")
    stale = statuses["check_name"] == "stale"
    assert list(statuses.loc[stale, "delivery_status"]) == ["to_suppress"]
    assert set(statuses.loc[~stale, "delivery_status"]) == {"sent", "suppressed"}
    done = cli(config, tmp, receiver.url, "alerts", "--send")
    assert done.returncode == 0 and "0 sent, 1 suppressed" in done.stderr
    assert len(receiver.bodies) == len(expected)


def test_a_refused_post_is_recorded_and_sent_at_the_next_delivery(built, tmp_path):
    warehouse, config, tmp = built
    with warehouse.connect() as conn:  # forget the deliveries of the test before
        conn.exec_driver_sql("delete from raw.alert_deliveries")
    run_dbt(["build", "--select", "alerts"], config, target_path=str(tmp / "dbt_target"),
            capture=True)
    refusing = Receiver(status=500)
    try:
        done = cli(config, tmp, refusing.url, "alerts", "--send")
    finally:
        refusing.close()
    assert done.returncode == 1 and "failed: " in done.stderr
    failed = frame(warehouse, "select * from raw.alert_deliveries")
    assert set(failed["delivery_status"]) == {"failed", "suppressed"}
    assert set(failed.loc[failed["delivery_status"] == "failed", "http_status"]) == {500}
    accepting = Receiver()
    try:
        done = cli(config, tmp, accepting.url, "alerts", "--send")
    finally:
        accepting.close()
    assert done.returncode == 0, done.stderr
    assert sorted(accepting.ids()) == sorted(
        failed.loc[failed["delivery_status"] == "failed", "alert_id"])


def test_alert_trigger_fires_on_a_newer_materialization_only():
    request, seen = alert_trigger({"marts/a": 5, "marts/b": 7}, {})
    assert request.run_key == "alerts:7.000000" and seen == {"marts/a": 5, "marts/b": 7}
    assert alert_trigger({"marts/a": 5, "marts/b": 7}, seen) == (None, seen)
    request, seen = alert_trigger({"marts/a": 9, "marts/b": 7}, seen)
    assert "marts/a" in request.tags["vigie/reason"] and seen["marts/a"] == 9


def test_webhook_settings_and_body(monkeypatch):
    monkeypatch.delenv(WEBHOOK_URL_ENV, raising=False)
    assert WebhookSettings.from_env() is None
    monkeypatch.setenv(WEBHOOK_URL_ENV, "ftp://example")
    with pytest.raises(ValueError, match="http"):
        WebhookSettings.from_env()
    monkeypatch.setenv(WEBHOOK_URL_ENV, "http://127.0.0.1:9/x")
    monkeypatch.setenv("VIGIE_ALERT_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValueError, match="positive"):
        WebhookSettings.from_env()
    body = slack_body({"alert_id": "k|2026-01-01", "alert_kind": "kpi", "check_name": "x",
                       "severity": "warning", "model_name": "m", "model_version": None,
                       "window_date": dt.date(2026, 1, 1), "subject": "x", "message": "hello"})
    assert body["text"].endswith("\nhello") and "m · 2026-01-01" in body["text"]
    assert body["vigie"]["model_version"] is None


def test_post_json_reports_refusals_and_unreachable_hooks():
    refusing = Receiver(status=503)
    try:
        assert post_json(refusing.url, {"text": "x"}, 5)[0] == 503
    finally:
        refusing.close()
    status, detail = post_json("http://127.0.0.1:9/nothing-listens", {"text": "x"}, 2)
    assert status is None and detail
