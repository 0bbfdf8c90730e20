"""Metadata the dbt step puts on a few materializations, read from the relation dbt just built:
what the UI shows at a glance and what the sensors decide from (they never open the warehouse).

Read after the dbt process has exited (a DuckDB file takes one process at a time).
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from orchestration.assets.io import markdown_table, read_frame
from orchestration.warehouse import Warehouse

# The translator's keys of the two models whose materializations carry what the sensors read
# (test_definitions.py checks that they are dbt assets).
DRIFT_SUMMARY_KEY = dg.AssetKey(["marts", "drift_summary"])
LABELS_LATEST_KEY = dg.AssetKey(["intermediate", "int_labels_latest"])

# Days × versions of drift_summary carried on its materialization (the newest ones).
DRIFT_DAYS_KEPT = 400


def drift_summary_metadata(wh: Warehouse) -> dict:
    """The newest days of marts.drift_summary: share, status and drifted features by day."""
    frame = read_frame(wh, "select window_date, model_name, model_version, drift_share, status, "
                           "drifted_features from marts.drift_summary "
                           f"order by window_date desc, model_version limit {DRIFT_DAYS_KEPT}")
    days = [{"window_date": str(r.window_date), "model_name": r.model_name,
             "model_version": r.model_version,
             "drift_share": None if r.drift_share != r.drift_share else float(r.drift_share),
             "status": r.status, "drifted_features": r.drifted_features or ""}
            for r in frame.iloc[::-1].itertuples()]
    shares = [d["drift_share"] for d in days if d["drift_share"] is not None]
    return {
        "drift_share_by_day": dg.MetadataValue.json(days),
        "max_drift_share": max(shares, default=0.0),
        "latest_window_date": days[-1]["window_date"] if days else "",
        "latest_days": dg.MetadataValue.md(markdown_table(days[-15:])),
    }


def labels_metadata(wh: Warehouse) -> dict:
    """Labelled predictions (latest label each) by model, from intermediate.int_labels_latest."""
    frame = read_frame(wh, "select model_name, count(*) as n_labelled, "
                           "max(received_at) as received_through "
                           "from intermediate.int_labels_latest group by model_name")
    counts = {str(r.model_name): int(r.n_labelled) for r in frame.itertuples()}
    return {
        "n_labelled_by_model": dg.MetadataValue.json(counts),
        "n_labelled_predictions": sum(counts.values()),
        "labels_received_through": str(frame["received_through"].max()) if counts else "",
    }


METADATA_BY_KEY: dict[dg.AssetKey, Callable[[Warehouse], dict]] = {
    DRIFT_SUMMARY_KEY: drift_summary_metadata,
    LABELS_LATEST_KEY: labels_metadata,
}
