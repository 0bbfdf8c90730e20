"""The marts the report shows, each read once (`select *`), None for a mart not built yet."""

from __future__ import annotations

import pandas as pd

from orchestration.warehouse import Warehouse, WarehouseError, relation_names

MARTS_SCHEMA = "marts"
ERR_UNREADABLE = "cannot read marts.{relation} in the warehouse at {where}: {reason}"

# What the report reads, and only this: every number on the page is a column of one of them.
REPORT_MARTS = (
    "model_versions",
    "drift_summary",
    "feature_drift",
    "feature_distributions",
    "multivariate_drift",
    "group_parity",
    "fairness_summary",
    "fairness_alerts",
    "model_performance",
    "performance_estimates",
    "kpi_alerts",
    "schema_conformance",
    "promotion_decisions",
    "promotion_gate_checks",
    "audit_findings",
)

Frames = dict[str, "pd.DataFrame | None"]


def read_marts(warehouse: Warehouse) -> Frames:
    """One frame per mart of REPORT_MARTS. A warehouse that cannot be read (unreachable,
    locked, missing, refused) is an error, never an empty page."""
    reader = Warehouse(warehouse.config, read_only=True)
    with reader.connect() as conn:
        built = relation_names(conn, MARTS_SCHEMA)
    frames: Frames = {}
    for relation in REPORT_MARTS:
        if relation not in built:
            frames[relation] = None  # its section says so; the rest still renders
            continue
        try:
            frames[relation] = reader.query_df(f"select * from {MARTS_SCHEMA}.{relation}")
        except WarehouseError:
            raise
        except Exception as exc:
            raise WarehouseError(ERR_UNREADABLE.format(relation=relation,
                                                       where=warehouse.config.where,
                                                       reason=first_line(exc))) from exc
    return frames


def present(frames: Frames, relation: str) -> pd.DataFrame | None:
    """The mart's frame when it holds rows, else None."""
    frame = frames.get(relation)
    return None if frame is None or frame.empty else frame


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
