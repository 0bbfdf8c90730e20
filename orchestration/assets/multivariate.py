"""The domain classifier per day × version (models_ml/multivariate.py): out-of-fold scores to
raw.domain_classifier_scores, the features' gain shares to raw.domain_classifier_importance.

The step reads which days the build needs from dbt (intermediate.int_multivariate_drift_required:
every day × version after its baseline, the version's first days of production, keyed by the
baseline and the day's prediction count) and trains on those raw.domain_classifier_importance
lacks: new days, days with late rows and every day of a version whose baseline changed. Whether
a day drifts is decided in SQL (marts.multivariate_drift) from seeds/thresholds.csv.
"""

import zlib

import dagster as dg
import pandas as pd

from models_ml.multivariate import FOLDS, domain_classifier, sample_rows
from orchestration.assets.io import append_frame, markdown_table, read_frame, utc_now
from orchestration.assets.keys import (
    DOMAIN_CLASSIFIER_IMPORTANCE_KEY,
    DOMAIN_CLASSIFIER_SCORES_KEY,
    DRIFT_GROUP,
)
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Warehouse

# Rows per side the classifier trains on: a day of 10 M predictions / 60 days would otherwise
# cost minutes; 5,000 per side tell a 0.65 AUC from 0.5 by many standard errors.
MAX_ROWS = 5000
RUN_KEY = ["window_date", "model_name", "model_version", "baseline_key", "n_predictions"]

PENDING_SQL = """
select required.window_date, required.model_name, required.model_version,
       required.baseline_key, required.baseline_start_date, required.baseline_end_date,
       required.n_predictions
from intermediate.int_multivariate_drift_required as required
where not exists (
    select 1 from raw.domain_classifier_importance as done
    where done.window_date = required.window_date
      and done.model_name = required.model_name
      and done.model_version = required.model_version
      and done.baseline_key = required.baseline_key
      and done.n_predictions = required.n_predictions
)
order by required.model_name, required.model_version, required.window_date
"""
# The typed inputs of a version's predictions from day :first to day :last.
DAYS_SQL = """
select prediction_id as row_id, feature_name, feature_type, value_numeric, value_category
from intermediate.int_feature_values_typed
where model_name = :m and model_version = :v and window_date between :first and :last
"""


def wide(long: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per row_id, one column per feature (the number, or the category for a
    categorical feature; NaN when missing), and the categorical features' names."""
    long = long.assign(row_id=long["row_id"].astype(str))
    categorical = sorted(set(long.loc[long["feature_type"] == "categorical", "feature_name"]))
    values = long["value_numeric"].astype(object).where(
        ~long["feature_name"].isin(categorical), long["value_category"])
    frame = (long.assign(value=values)
             .pivot_table(index="row_id", columns="feature_name", values="value",
                          aggfunc="first", dropna=False))
    frame.columns.name = None
    return frame, categorical


def run_seed(run) -> int:
    """A seed from the run's key: the same day drawn and split the same way at every build.
    Below 2**31 - FOLDS - 1, so seed + 1 (pandas) and seed + fold (LightGBM's int32) stay valid."""
    key = zlib.crc32("|".join(str(getattr(run, k)) for k in RUN_KEY).encode())
    return key % (2**31 - FOLDS - 1)


def compute_domain_classifiers(wh: Warehouse) -> list[dict]:
    """Every pending day: sample, train, append its scores and gain shares in one transaction.
    Returns one summary per day (AUC is not computed here: dbt defines it)."""
    summaries = []
    pending = read_frame(wh, PENDING_SQL)
    for column in ("window_date", "baseline_start_date", "baseline_end_date"):
        pending[column] = pd.to_datetime(pending[column]).dt.date
    for (model_name, model_version, first, last), runs in pending.groupby(
            ["model_name", "model_version", "baseline_start_date", "baseline_end_date"],
            sort=True):
        params = {"m": model_name, "v": model_version}
        baseline, categorical = wide(read_frame(wh, DAYS_SQL, {**params, "first": first,
                                                               "last": last}))
        for run in runs.itertuples(index=False):
            current, _ = wide(read_frame(wh, DAYS_SQL, {**params, "first": run.window_date,
                                                        "last": run.window_date}))
            features = sorted(set(baseline.columns) & set(current.columns))
            seed = run_seed(run)
            baseline_rows = sample_rows(baseline[features], MAX_ROWS, seed)
            current_rows = sample_rows(current[features], MAX_ROWS, seed + 1)
            try:
                result = domain_classifier(baseline_rows, current_rows, categorical, seed=seed)
            except ValueError as error:  # too few rows to train: no AUC, no verdict
                summaries.append({"window_date": str(run.window_date),
                                  "model_version": model_version, "n_rows": 0,
                                  "top_feature": "", "skipped": str(error)})
                continue
            key = {k: getattr(run, k) for k in RUN_KEY}
            now = utc_now()
            scores = result.scores.assign(**key, computed_at=now)
            importance = result.importance.assign(**key, computed_at=now)
            with wh.connect() as conn:
                append_frame(conn, wh.target, "raw.domain_classifier_scores", scores)
                append_frame(conn, wh.target, "raw.domain_classifier_importance", importance)
            summaries.append({"window_date": str(run.window_date),
                              "model_version": model_version, "n_rows": len(scores),
                              "top_feature": importance.sort_values("gain_share").iloc[-1][
                                  "feature_name"], "skipped": ""})
    return summaries


def build_domain_classifier_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The domain classifier step, downstream of the dbt relations it reads: one run writes
    both of its raw tables."""
    description = (f"a LightGBM classifier per day × version telling the day's inputs from the "
                   f"version's first days of production, 5-fold, at most {MAX_ROWS:,} rows a "
                   f"side, for new days, days with late rows and versions whose baseline "
                   f"changed")

    @dg.multi_asset(
        specs=[dg.AssetSpec(DOMAIN_CLASSIFIER_SCORES_KEY, group_name=DRIFT_GROUP, deps=upstream,
                            kinds={"python", "lightgbm"},
                            description="raw.domain_classifier_scores: out-of-fold scores of "
                                        + description),
               dg.AssetSpec(DOMAIN_CLASSIFIER_IMPORTANCE_KEY, group_name=DRIFT_GROUP,
                            deps=upstream, kinds={"python", "lightgbm"},
                            description="raw.domain_classifier_importance: the features' gain "
                                        "shares of " + description)],
        name="domain_classifier")
    def domain_classifier_step(context: dg.AssetExecutionContext,
                               warehouse: WarehouseResource):
        summaries = compute_domain_classifiers(warehouse.warehouse())
        trained = sum(1 for s in summaries if not s["skipped"])
        context.log.info(f"domain classifier: {trained} day × version trained, "
                         f"{len(summaries) - trained} too small")
        metadata = {"days_processed": trained,
                    "days": dg.MetadataValue.md(markdown_table(summaries[-15:]))}
        yield dg.MaterializeResult(asset_key=DOMAIN_CLASSIFIER_SCORES_KEY, metadata=metadata)
        yield dg.MaterializeResult(asset_key=DOMAIN_CLASSIFIER_IMPORTANCE_KEY, metadata=metadata)

    return domain_classifier_step
