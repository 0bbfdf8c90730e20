"""Raw traffic: simulated predictions and feedback written through the ingestion contract."""


import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from models_ml.credit_model import german_as_reference, load_german_credit
from models_ml.explain import mean_abs_contributions
from orchestration.assets.io import append_frame, utc_now
from orchestration.assets.keys import RAW_GROUP, RAW_TRAFFIC_KEYS
from orchestration.resources import WarehouseResource
from orchestration.simulation import INITIAL_VERSION, ensure_initial_model, simulate_into
from orchestration.warehouse_init import init_warehouse


class SimulationConfig(dg.Config):
    """The simulated stream: scenario (clean, gradual, sudden, migration, concept) and size."""

    scenario: str = "migration"
    days: int = 60
    per_day: int = 1000
    seed: int = 7
    start_date: str | None = None


@dg.multi_asset(
    specs=[dg.AssetSpec(key, group_name=RAW_GROUP, kinds={"python"},
                        description=f"raw.{table}: written through the ingestion contract")
           for table, key in RAW_TRAFFIC_KEYS.items()],
    name="simulated_traffic",
)
def simulated_traffic(context: dg.AssetExecutionContext, config: SimulationConfig,
                      warehouse: WarehouseResource):
    """Simulated production traffic (predictions, delayed feedback) and the served model v1."""
    wh = warehouse.warehouse()
    init_warehouse(wh)
    start = dt.date.fromisoformat(config.start_date) if config.start_date else None
    project_dir = wh.config.project_dir
    report = simulate_into(wh, days=config.days, per_day=config.per_day,
                           scenario=config.scenario, seed=config.seed, start_date=start,
                           project_dir=project_dir, model_name=warehouse.model, progress=None)
    record_initial_contributions(wh, project_dir, warehouse.model, seed=config.seed)
    context.log.info(report.predictions.summary())
    context.log.info(report.feedback.summary())
    counts = {"predictions": report.predictions.accepted, "feedback": report.feedback.accepted}
    for table, key in RAW_TRAFFIC_KEYS.items():
        metadata = {"scenario": config.scenario, "start_date": str(report.start_date),
                    "days": config.days}
        if table in counts:
            metadata["dagster/row_count"] = counts[table]
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def record_initial_contributions(wh, project_dir: str, model_name: str, *, seed: int) -> int:
    """Mean |TreeSHAP| of the served v1 on its reference rows, once, as the importance baseline."""
    with wh.connect() as conn:
        known = conn.execute(sa.text(
            "select count(*) from raw.feature_contributions where model_name = :m "
            "and model_version = :v"), {"m": model_name, "v": INITIAL_VERSION}).scalar()
    if known:
        return 0
    german = load_german_credit(Path(project_dir) / "seeds" / "german_credit.csv")
    model = ensure_initial_model(wh, german, seed=seed, project_dir=project_dir,
                                 model_name=model_name)
    features, _ = german_as_reference(german)
    contributions = mean_abs_contributions(model, features)
    frame = contributions_rows(contributions, model_name, INITIAL_VERSION)
    with wh.connect() as conn:
        return append_frame(conn, wh.target, "raw.feature_contributions", frame)


def contributions_rows(contributions: pd.DataFrame, model_name: str,
                       model_version: str) -> pd.DataFrame:
    """explain.mean_abs_contributions as raw.feature_contributions rows."""
    return contributions.assign(model_name=model_name, model_version=model_version,
                                computed_at=utc_now())[
        ["model_name", "model_version", "feature_name", "mean_abs_contribution", "n_rows",
         "computed_at"]]
