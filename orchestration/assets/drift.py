"""KS and chi-square drift per day × version × feature, appended to raw.drift_tests."""


from collections import Counter

import dagster as dg
import numpy as np
import pandas as pd

from models_ml.drift import chi_square_test, is_drifted, ks_test
from orchestration.assets.io import append_frame, markdown_table, read_frame, utc_now
from orchestration.assets.keys import DRIFT_GROUP, DRIFT_TESTS_KEY
from orchestration.resources import WarehouseResource
from orchestration.seed_config import feature_schema, thresholds
from orchestration.warehouse import Warehouse

DRIFT_COLUMNS = ["window_date", "model_name", "model_version", "feature_name", "test_name",
                 "statistic", "effect_size", "pvalue", "n_reference", "n_current", "computed_at"]
NUMERIC_TYPES = ("numeric", "integer")


def served_versions(wh: Warehouse) -> pd.DataFrame:
    """Every (day, model, version) with predictions."""
    return read_frame(wh, "select distinct window_date, model_name, model_version "
                          "from staging.stg_raw__predictions")


def computed_days(wh: Warehouse, model_name: str, model_version: str) -> dict[str, set]:
    """Days already in raw.drift_tests, by feature."""
    done = read_frame(wh, "select window_date, feature_name from raw.drift_tests "
                          "where model_name = :m and model_version = :v",
                      {"m": model_name, "v": model_version})
    found: dict[str, set] = {}
    for feature_name, day in zip(done["feature_name"], pd.to_datetime(done["window_date"]),
                                 strict=True):
        found.setdefault(str(feature_name), set()).add(day.date())
    return found


def reference_values(wh: Warehouse, model_name: str, model_version: str, feature_name: str,
                     numeric: bool) -> pd.Series:
    column = "value_numeric" if numeric else "value_category"
    frame = read_frame(wh, f"select {column} as value from intermediate.int_reference_values_typed "
                           "where model_name = :m and model_version = :v and feature_name = :f",
                       {"m": model_name, "v": model_version, "f": feature_name})
    return frame["value"]


def current_values(wh: Warehouse, model_name: str, model_version: str, feature_name: str,
                   numeric: bool, first_day, last_day) -> pd.DataFrame:
    """One feature's values (numeric) or category counts (categorical) per day, from SQL."""
    params = {"m": model_name, "v": model_version, "f": feature_name, "d0": first_day,
              "d1": last_day}
    where = ("where model_name = :m and model_version = :v and feature_name = :f "
             "and window_date between :d0 and :d1")
    if numeric:
        sql = ("select window_date, value_numeric as value from "
               f"intermediate.int_feature_values_typed {where} order by window_date")
    else:
        sql = ("select window_date, value_category as value, count(*) as n from "
               f"intermediate.int_feature_values_typed {where} group by window_date, "
               "value_category")
    frame = read_frame(wh, sql, params)
    frame["window_date"] = pd.to_datetime(frame["window_date"]).dt.date
    return frame


def feature_tests(reference: pd.Series, current: pd.DataFrame, days: list, *, numeric: bool,
                  base: dict) -> list[dict]:
    """One drift_tests row per day: KS on values or chi-square on category counts."""
    rows = []
    if numeric:
        ref = reference.to_numpy(dtype=float, na_value=np.nan)
        by_day = {d: g["value"].to_numpy(dtype=float, na_value=np.nan)
                  for d, g in current.groupby("window_date")}
    else:
        ref_counts = Counter(None if pd.isna(v) else str(v) for v in reference)
        by_day = {d: {(None if pd.isna(v) else str(v)): int(n)
                      for v, n in zip(g["value"], g["n"], strict=True)}
                  for d, g in current.groupby("window_date")}
    for day in days:
        if numeric:
            result = ks_test(ref, by_day.get(day, np.array([], dtype=float)))
            values = ("ks", result.statistic, result.statistic, result.pvalue)
        else:
            result = chi_square_test(ref_counts, by_day.get(day, {}))
            values = ("chi_square", result.statistic, result.cramers_v, result.pvalue)
        rows.append({**base, "window_date": day, "test_name": values[0], "statistic": values[1],
                     "effect_size": values[2], "pvalue": values[3],
                     "n_reference": result.n_reference, "n_current": result.n_current})
    return rows


def compute_drift_tests(wh: Warehouse) -> pd.DataFrame:
    """Test every feature on every day not yet in raw.drift_tests; append and return the rows."""
    written = []
    served = served_versions(wh)
    served["window_date"] = pd.to_datetime(served["window_date"]).dt.date
    for (model_name, model_version), days in served.groupby(["model_name", "model_version"]):
        all_days = set(days["window_date"])
        done = computed_days(wh, model_name, model_version)
        for feature in feature_schema(wh.config.project_dir, model_name):
            name, numeric = feature["feature_name"], feature["feature_type"] in NUMERIC_TYPES
            pending = sorted(all_days - done.get(name, set()))
            if not pending:
                continue
            reference = reference_values(wh, model_name, model_version, name, numeric)
            if reference.empty:
                continue  # no reference sample for this version yet: test it once one arrives
            current = current_values(wh, model_name, model_version, name, numeric,
                                     pending[0], pending[-1])
            base = {"model_name": model_name, "model_version": model_version,
                    "feature_name": name, "computed_at": utc_now()}
            frame = pd.DataFrame(feature_tests(reference, current, pending, numeric=numeric,
                                               base=base), columns=DRIFT_COLUMNS)
            with wh.connect() as conn:
                append_frame(conn, wh.target, "raw.drift_tests", frame)
            written.append(frame)
    return (pd.concat(written, ignore_index=True) if written
            else pd.DataFrame(columns=DRIFT_COLUMNS))


def drift_share_by_day(rows: pd.DataFrame, *, alpha: float, effect_size: float) -> list[dict]:
    """Share of tested features that drift (p < alpha and effect >= bound), per day × version."""
    if rows.empty:
        return []
    flagged = rows.assign(is_drifted=[is_drifted(e, p, alpha=alpha, effect_size=effect_size)
                                      for e, p in zip(rows["effect_size"], rows["pvalue"],
                                                      strict=True)])
    summary = (flagged.groupby(["window_date", "model_version"])["is_drifted"]
               .agg(["sum", "count"]).reset_index())
    return [{"window_date": str(r.window_date), "model_version": r.model_version,
             "n_drifted": int(r.sum), "n_tested": int(r.count),
             "drift_share": float(r.sum) / r.count} for r in summary.itertuples()]


def build_drift_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The KS drift asset, downstream of the dbt views it reads."""

    @dg.asset(key=DRIFT_TESTS_KEY, group_name=DRIFT_GROUP, deps=upstream, kinds={"python"},
              description="raw.drift_tests: two-sample KS (numeric) and chi-square with "
                          "Cramér's V (categorical) per day × version × feature, new days only")
    def ks_drift_tests(context: dg.AssetExecutionContext,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        rows = compute_drift_tests(wh)
        bounds = thresholds(wh.config.project_dir)
        shares = drift_share_by_day(rows, alpha=bounds["drift_alpha"],
                                    effect_size=bounds["drift_effect_size"])
        context.log.info(f"drift tests: {len(rows)} rows over {len(shares)} day × version")
        return dg.MaterializeResult(metadata={
            "dagster/row_count": len(rows),
            "days_processed": len(shares),
            "max_drift_share": max((s["drift_share"] for s in shares), default=0.0),
            "drift_share_by_day": dg.MetadataValue.md(markdown_table(shares[-15:])),
        })

    return ks_drift_tests
