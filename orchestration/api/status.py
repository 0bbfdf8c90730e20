"""What GET /v1/health and GET /v1/models/{model_name}/status read: one relation per question,
each verdict as its mart defines it (nothing is recomputed here)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from orchestration.warehouse import Warehouse, WarehouseError

ERR_NOT_BUILT = "marts.{relation} is not built yet (run `vigie build`)"
ERR_UNKNOWN_MODEL = "no model named {model!r} in marts.model_versions"

LAST_INGESTIONS = """
with ranked as (
    select source, batch_id, source_file, finished_at, n_received, n_accepted,
           n_already_present, n_quarantined,
           row_number() over (partition by source order by finished_at desc, batch_id) as rank
    from raw.ingestion_batches
)
select source, batch_id, source_file, finished_at, n_received, n_accepted, n_already_present,
       n_quarantined
from ranked where rank = 1 order by source
"""
VERSIONS = """
select model_version, stage_changed_at, validation_auc, is_production
from marts.model_versions where model_name = :model order by model_version
"""
DRIFT = """
select window_date, status, drift_share, n_drifted, n_drift_alerts, alert_share, n_features,
       drifted_features
from marts.drift_summary
where model_name = :model and model_version = :version
order by window_date desc limit 1
"""
FOUR_FIFTHS = """
select window_date, attribute, demographic_parity_ratio, passes_four_fifths_rule
from marts.fairness_summary
where model_name = :model and model_version = :version and window_date = (
    select max(window_date) from marts.fairness_summary
    where model_name = :model and model_version = :version)
order by attribute
"""
# The alerts standing on the version's latest day of fairness_summary (both windows).
FAIRNESS_ALERTS = """
select window_kind, window_date, attribute, check_name, observed_value, ci_low, ci_high, bound,
       breached_days_in_a_row
from marts.fairness_alerts
where model_name = :model and model_version = :version and window_date = (
    select max(window_date) from marts.fairness_summary
    where model_name = :model and model_version = :version)
order by window_kind, attribute, check_name
"""
LAST_DECISION = """
select decision_id, candidate_version, production_version, decided_at, decision,
       candidate_auc, production_auc, auc_delta, reasons
from marts.promotion_decisions where model_name = :model
order by decided_at desc, decision_id desc limit 1
"""


# marts.alerts, newest first: the list the webhook, BI tools and `vigie alerts` read.
ALERTS = """
select alert_id, alert_kind, check_name, severity, model_name, model_version, window_date,
       raised_at, subject, message, delivery_status, sent_at
from marts.alerts
where (:model is null or model_name = :model)
  and (:delivery_status is null or delivery_status = :delivery_status)
order by raised_at desc, alert_id desc
limit :limit
"""


class MartNotBuilt(WarehouseError):
    """A mart the answer needs does not exist yet."""


class UnknownModel(LookupError):
    """No version of the model is in the registry mart."""


def rows(warehouse: Warehouse, relation: str, sql: str, **params) -> list[dict]:
    """The rows of one query on `relation`, as dicts; MartNotBuilt when the relation is absent."""
    schema, table = relation.split(".")
    try:
        with warehouse.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]
    except WarehouseError:
        raise
    except Exception as exc:  # the driver's error for a missing table differs by engine
        if not warehouse.table_exists(schema, table):
            raise MartNotBuilt(ERR_NOT_BUILT.format(relation=table)) from exc
        raise WarehouseError(f"cannot read {relation}: {exc}".splitlines()[0]) from exc


def last_ingestions(warehouse: Warehouse) -> list[dict]:
    return rows(warehouse, "raw.ingestion_batches", LAST_INGESTIONS)


def model_status(warehouse: Warehouse, model_name: str) -> dict:
    """Production version, its latest drift day, four-fifths verdicts and fairness alerts,
    last decision."""
    versions = rows(warehouse, "marts.model_versions", VERSIONS, model=model_name)
    if not versions:
        raise UnknownModel(ERR_UNKNOWN_MODEL.format(model=model_name))
    production = next((v for v in versions if v["is_production"]), None)
    drift, four_fifths, fairness_alerts = None, [], []
    if production is not None:
        version = production["model_version"]
        drift = next(iter(rows(warehouse, "marts.drift_summary", DRIFT, model=model_name,
                               version=version)), None)
        four_fifths = rows(warehouse, "marts.fairness_summary", FOUR_FIFTHS, model=model_name,
                           version=version)
        fairness_alerts = rows(warehouse, "marts.fairness_alerts", FAIRNESS_ALERTS,
                               model=model_name, version=version)
    if drift is not None:
        names = drift["drifted_features"] or ""
        drift = {**drift, "drifted_features": [n for n in names.split(", ") if n],
                 "is_today": _as_date(drift["window_date"]) == dt.datetime.now(dt.UTC).date()}
    decision = next(iter(rows(warehouse, "marts.promotion_decisions", LAST_DECISION,
                              model=model_name)), None)
    return {"model_name": model_name, "production": production, "drift": drift,
            "four_fifths": four_fifths, "fairness_alerts": fairness_alerts,
            "last_promotion_decision": decision}


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def alerts(warehouse: Warehouse, *, model_name: str | None, delivery_status: str | None,
           limit: int) -> list[dict]:
    return rows(warehouse, "marts.alerts", ALERTS, model=model_name,
                delivery_status=delivery_status, limit=limit)
