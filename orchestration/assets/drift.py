"""KS and chi-square statistics per day × version × feature, appended to raw.drift_tests.

The drift step reads which tests the build needs from dbt (intermediate.int_drift_tests_required:
every day × version × feature of the build's snapshot, keyed by reference hash and the day's
prediction count) and computes those raw.drift_tests does not hold yet: new days, days with late
rows and every day of a version whose reference changed. It writes statistics only; whether a
feature drifts is decided in SQL (marts.feature_drift) from seeds/thresholds.csv.
"""

from collections import Counter

import dagster as dg
import numpy as np
import pandas as pd

from models_ml.drift import chi_square_test, ks_test
from orchestration.assets.io import append_frame, markdown_table, read_frame, utc_now
from orchestration.assets.keys import DRIFT_GROUP, DRIFT_TESTS_KEY
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Warehouse

DRIFT_COLUMNS = ["window_date", "model_name", "model_version", "feature_name", "test_name",
                 "reference_hash", "n_predictions", "statistic", "effect_size", "pvalue",
                 "n_reference", "n_current", "computed_at"]
TEST_KEY = ["model_name", "model_version", "feature_name", "test_name", "reference_hash"]

# The required tests raw.drift_tests does not hold with the same reference and prediction count.
PENDING_SQL = """
select required.window_date, required.model_name, required.model_version,
       required.feature_name, required.test_name, required.reference_hash,
       required.n_predictions
from intermediate.int_drift_tests_required as required
where not exists (
    select 1 from raw.drift_tests as done
    where done.window_date = required.window_date
      and done.model_name = required.model_name
      and done.model_version = required.model_version
      and done.feature_name = required.feature_name
      and done.test_name = required.test_name
      and done.reference_hash = required.reference_hash
      and done.n_predictions = required.n_predictions
)
"""


def pending_tests(wh: Warehouse) -> pd.DataFrame:
    """The tests this build needs and raw.drift_tests lacks, one row per day × feature."""
    frame = read_frame(wh, PENDING_SQL)
    frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
    return frame


def reference_values(wh: Warehouse, model_name: str, model_version: str, feature_name: str,
                     numeric: bool) -> pd.Series:
    """One value per reference row of the version (null where the feature is missing)."""
    column = "value_numeric" if numeric else "value_category"
    frame = read_frame(wh, f"select {column} as value from intermediate.int_reference_values_typed "
                           "where model_name = :m and model_version = :v and feature_name = :f",
                       {"m": model_name, "v": model_version, "f": feature_name})
    return frame["value"]


def current_values(wh: Warehouse, model_name: str, model_version: str, feature_name: str,
                   numeric: bool, first_day, last_day) -> pd.DataFrame:
    """One feature's non-null values (numeric) or category counts (categorical) per day."""
    params = {"m": model_name, "v": model_version, "f": feature_name, "d0": first_day,
              "d1": last_day}
    where = ("where model_name = :m and model_version = :v and feature_name = :f "
             "and window_date between :d0 and :d1")
    if numeric:
        sql = ("select window_date, value_numeric as value from "
               f"intermediate.int_feature_values_typed {where} and value_numeric is not null")
    else:
        sql = ("select window_date, value_category as value, count(*) as n from "
               f"intermediate.int_feature_values_typed {where} and value_category is not null "
               "group by window_date, value_category")
    frame = read_frame(wh, sql, params)
    frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
    return frame


def feature_tests(reference: pd.Series, current: pd.DataFrame, days: pd.DataFrame, *,
                  numeric: bool) -> list[dict]:
    """One row per pending day: KS on the values, or chi-square on the category counts with
    every prediction lacking a category counted as the null category (as the PSI bins do)."""
    rows = []
    if numeric:
        ref = reference.to_numpy(dtype=float, na_value=np.nan)
        by_day = {d: g["value"].to_numpy(dtype=float) for d, g in current.groupby("window_date")}
    else:
        ref_counts = Counter(None if pd.isna(v) else str(v) for v in reference)
        by_day = {d: dict(zip(g["value"].astype(str), g["n"].astype(int), strict=True))
                  for d, g in current.groupby("window_date")}
    for day, n_predictions in zip(days["window_date"], days["n_predictions"], strict=True):
        if numeric:
            result = ks_test(ref, by_day.get(day, np.array([], dtype=float)))
            values = (result.statistic, result.statistic, result.pvalue)
        else:
            counts = dict(by_day.get(day, {}))
            missing = int(n_predictions) - sum(counts.values())
            if missing > 0:
                counts[None] = missing
            result = chi_square_test(ref_counts, counts)
            values = (result.statistic, result.cramers_v, result.pvalue)
        rows.append({"window_date": day, "n_predictions": int(n_predictions),
                     "statistic": values[0], "effect_size": values[1], "pvalue": values[2],
                     "n_reference": result.n_reference, "n_current": result.n_current})
    return rows


def compute_drift_tests(wh: Warehouse) -> pd.DataFrame:
    """Compute every pending test, append it to raw.drift_tests (one transaction per feature)
    and return the rows written."""
    written = []
    pending = pending_tests(wh)
    for key, days in pending.groupby(TEST_KEY, sort=True):
        model_name, model_version, feature_name, test_name, reference_hash = key
        numeric = test_name == "ks"
        days = days.sort_values("window_date")
        reference = reference_values(wh, model_name, model_version, feature_name, numeric)
        current = current_values(wh, model_name, model_version, feature_name, numeric,
                                 days["window_date"].iloc[0], days["window_date"].iloc[-1])
        base = dict(zip(TEST_KEY, key, strict=True)) | {"computed_at": utc_now()}
        frame = pd.DataFrame([base | row for row in feature_tests(reference, current, days,
                                                                  numeric=numeric)],
                             columns=DRIFT_COLUMNS)
        with wh.connect() as conn:
            append_frame(conn, wh.target, "raw.drift_tests", frame)
        written.append(frame)
    return (pd.concat(written, ignore_index=True) if written
            else pd.DataFrame(columns=DRIFT_COLUMNS))


def tested_days(rows: pd.DataFrame) -> list[dict]:
    """How many features were tested per day × version (for the asset's metadata)."""
    if rows.empty:
        return []
    counts = rows.groupby(["window_date", "model_version"]).size().reset_index(name="n")
    return [{"window_date": str(r.window_date), "model_version": r.model_version,
             "n_features_tested": int(r.n)} for r in counts.itertuples()]


def build_drift_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The KS drift asset, downstream of the dbt relations it reads."""

    @dg.asset(key=DRIFT_TESTS_KEY, group_name=DRIFT_GROUP, deps=upstream, kinds={"python"},
              description="raw.drift_tests: two-sample KS (numeric) and chi-square with "
                          "Cramér's V (categorical) per day × version × feature, for new days, "
                          "days with late rows and versions whose reference changed")
    def ks_drift_tests(context: dg.AssetExecutionContext,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
        rows = compute_drift_tests(warehouse.warehouse())
        days = tested_days(rows)
        context.log.info(f"drift tests: {len(rows)} rows over {len(days)} day × version")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(rows),
            "days_processed": len(days),
            "tested_days": dg.MetadataValue.md(markdown_table(days[-15:])),
        })

    return ks_drift_tests
