"""The isotonic calibration of each version's scores, appended to raw.score_calibration.

The calibration step reads the versions' labelled validation rows from dbt
(intermediate.int_validation_scores_labelled, where the positive class is defined) and fits the
versions raw.score_calibration lacks for their current validation rows (keyed by their count).
It writes the map's points only: dbt applies them and defines every estimate
(marts.performance_estimates, group_performance_estimates). A version whose validation rows
hold a single class gets no calibration, so its estimates stay null: nothing to estimate from.
"""

import dagster as dg

from models_ml.calibration import isotonic_points
from orchestration.assets.io import append_frame, markdown_table, read_frame, utc_now
from orchestration.assets.keys import CALIBRATION_GROUP, SCORE_CALIBRATION_KEY
from orchestration.resources import WarehouseResource
from orchestration.warehouse import Warehouse

# The versions whose labelled validation rows raw.score_calibration has no fit of.
PENDING_SQL = """
with labelled as (
    select model_name, model_version, count(*) as n_validation_rows
    from intermediate.int_validation_scores_labelled
    where is_positive is not null
    group by model_name, model_version
)
select labelled.model_name, labelled.model_version, labelled.n_validation_rows
from labelled
where not exists (
    select 1 from raw.score_calibration as fitted
    where fitted.model_name = labelled.model_name
      and fitted.model_version = labelled.model_version
      and fitted.n_validation_rows = labelled.n_validation_rows
)
order by labelled.model_name, labelled.model_version
"""

ROWS_SQL = """
select score, is_positive
from intermediate.int_validation_scores_labelled
where model_name = :m and model_version = :v and is_positive is not null
"""


def compute_calibrations(wh: Warehouse) -> list[dict]:
    """Fit every pending version, append each fit in its own transaction, and return one
    summary per version (fitted or why not)."""
    summaries = []
    for version in read_frame(wh, PENDING_SQL).itertuples(index=False):
        rows = read_frame(wh, ROWS_SQL, {"m": version.model_name, "v": version.model_version})
        summary = {"model_name": version.model_name, "model_version": version.model_version,
                   "n_validation_rows": int(version.n_validation_rows)}
        try:
            points = isotonic_points(rows["score"].to_numpy(dtype=float),
                                     rows["is_positive"].to_numpy(dtype=float))
        except ValueError as error:
            summaries.append({**summary, "n_points": 0, "skipped": str(error)})
            continue
        frame = points.assign(model_name=version.model_name,
                              model_version=version.model_version,
                              n_validation_rows=int(version.n_validation_rows),
                              fitted_at=utc_now())
        with wh.connect() as conn:
            append_frame(conn, wh.target, "raw.score_calibration", frame)
        summaries.append({**summary, "n_points": len(frame), "skipped": ""})
    return summaries


def build_calibration_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The calibration asset, downstream of the dbt relation it reads."""

    @dg.asset(key=SCORE_CALIBRATION_KEY, group_name=CALIBRATION_GROUP, deps=upstream,
              kinds={"python"},
              description="raw.score_calibration: the isotonic calibration of each version's "
                          "scores on its labelled validation rows (the points of the map), for "
                          "the versions without a fit of their current rows")
    def score_calibration(context: dg.AssetExecutionContext,
                          warehouse: WarehouseResource) -> dg.MaterializeResult:
        summaries = compute_calibrations(warehouse.warehouse())
        fitted = [s for s in summaries if s["n_points"]]
        context.log.info(f"calibration: {len(fitted)} version(s) fitted, "
                         f"{len(summaries) - len(fitted)} skipped")
        return dg.MaterializeResult(metadata={
            "versions_fitted": len(fitted),
            "versions": dg.MetadataValue.md(markdown_table(summaries)),
        })

    return score_calibration

