"""KS, chi-square and Wasserstein statistics per day × version × feature, appended to
raw.drift_tests.

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

from models_ml.drift import chi_square_test, ks_test, wasserstein_test
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


def reference_frame(wh: Warehouse, model_name: str, model_version: str) -> pd.DataFrame:
    """Every schema feature's value per reference row of the version, in one read (null where
    the row lacks the feature)."""
    return read_frame(wh, "select feature_name, value_numeric, value_category "
                          "from intermediate.int_reference_values_typed "
                          "where model_name = :m and model_version = :v",
                      {"m": model_name, "v": model_version})


def day_frame(wh: Warehouse, model_name: str, model_version: str, day) -> pd.DataFrame:
    """Every schema feature's non-null values of one day's predictions, in one read: the day is
    one scan of the typed feature values whatever the number of features."""
    return read_frame(wh, "select feature_name, value_numeric, value_category "
                          "from intermediate.int_feature_values_typed "
                          "where model_name = :m and model_version = :v and window_date = :d "
                          "and (value_numeric is not null or value_category is not null)",
                      {"m": model_name, "v": model_version, "d": day})


def reference_samples(reference: pd.DataFrame) -> dict[str, tuple[np.ndarray, Counter]]:
    """Per feature: its numeric values (NaN where null, dropped by the test) and its category
    counts (None for null), the two sides a KS or chi-square test needs from the reference."""
    samples = {}
    for feature_name, rows in reference.groupby("feature_name", sort=False):
        numeric = rows["value_numeric"].to_numpy(dtype=float, na_value=np.nan)
        counts = Counter(None if pd.isna(v) else str(v) for v in rows["value_category"])
        samples[str(feature_name)] = (numeric, counts)
    return samples


def day_tests(reference: dict[str, tuple[np.ndarray, Counter]], current: pd.DataFrame,
              pending: pd.DataFrame) -> list[dict]:
    """One row per pending feature of the day: KS or the normalised Wasserstein distance on the
    values (statistic: the distance, effect size: the distance over the reference std, no
    p-value), or chi-square on the category counts with every prediction lacking a category
    counted as the null category (as the PSI bins do)."""
    by_feature = dict(tuple(current.groupby("feature_name", sort=False)))
    empty = current.iloc[0:0]
    rows = []
    for test in pending.itertuples(index=False):
        ref_values, ref_counts = reference.get(test.feature_name, (np.array([]), Counter()))
        values = by_feature.get(test.feature_name, empty)
        if test.test_name == "ks":
            result = ks_test(ref_values, values["value_numeric"].dropna().to_numpy(dtype=float))
            statistics = (result.statistic, result.statistic, result.pvalue)
        elif test.test_name == "wasserstein":
            result = wasserstein_test(ref_values,
                                      values["value_numeric"].dropna().to_numpy(dtype=float))
            statistics = (result.distance, result.normalised, None)
        elif test.test_name == "chi_square":
            counts = values["value_category"].dropna().astype(str).value_counts()
            observed = dict(zip(counts.index, counts.to_numpy(dtype=int).tolist(), strict=True))
            missing = int(test.n_predictions) - sum(observed.values())
            if missing > 0:
                observed[None] = missing
            result = chi_square_test(ref_counts, observed)
            statistics = (result.statistic, result.cramers_v, result.pvalue)
        else:
            raise ValueError(f"unknown drift test {test.test_name!r} for {test.feature_name}")
        rows.append({**{k: getattr(test, k) for k in TEST_KEY}, "window_date": test.window_date,
                     "n_predictions": int(test.n_predictions), "statistic": statistics[0],
                     "effect_size": statistics[1], "pvalue": statistics[2],
                     "n_reference": result.n_reference, "n_current": result.n_current})
    return rows


def compute_drift_tests(wh: Warehouse) -> pd.DataFrame:
    """Compute every pending test, a day at a time (one read of the reference per version, one
    read per day for all its features), append each day's rows to raw.drift_tests in one
    transaction, and return the rows written."""
    written = []
    pending = pending_tests(wh)
    for (model_name, model_version), tests in pending.groupby(["model_name", "model_version"],
                                                              sort=True):
        reference = reference_samples(reference_frame(wh, model_name, model_version))
        for day, day_pending in tests.groupby("window_date", sort=True):
            current = day_frame(wh, model_name, model_version, day)
            frame = pd.DataFrame(day_tests(reference, current, day_pending),
                                 columns=DRIFT_COLUMNS).assign(computed_at=utc_now())
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
              description="raw.drift_tests: two-sample KS or the normalised Wasserstein "
                          "distance (numeric) and chi-square with Cramér's V (categorical), as "
                          "each feature's drift_test asks, per day × version × feature, for "
                          "new days, days with late rows and versions whose reference changed")
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
