"""The API's answers, as pydantic models (they are also its OpenAPI documentation)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class IngestAnswer(BaseModel):
    """What became of one request's rows: received = accepted + duplicates + quarantined."""

    received: int = Field(description="Rows in the request.")
    accepted: int = Field(description="Rows stored now.")
    duplicates: int = Field(description="Rows already stored with the same content (not stored "
                                        "twice: a retry is safe).")
    quarantined: int = Field(description="Rows refused by the contract, kept in raw.quarantine.")
    quarantine_reasons: dict[str, int] = Field(description="Quarantined rows by reason.")


class NotJsonAnswer(IngestAnswer):
    """A 400: the body is not JSON; it was quarantined (the counts say how)."""

    detail: str


class LastIngestion(BaseModel):
    source: str = Field(description="predictions or feedback.")
    batch_id: str
    source_file: str | None = Field(description="The file, or api:/v1/<source> for the API.")
    finished_at: dt.datetime = Field(description="UTC.")
    n_received: int
    n_accepted: int
    n_already_present: int
    n_quarantined: int


class Health(BaseModel):
    status: str = Field(description="ok when the warehouse answers.")
    target: str = Field(description="duckdb or postgres.")
    last_ingestions: list[LastIngestion] = Field(
        description="The latest ingestion of each source (raw.ingestion_batches).")


class ProductionVersion(BaseModel):
    model_version: str
    stage_changed_at: dt.datetime | None = Field(description="When it became production (UTC).")
    validation_auc: float | None


class DriftToday(BaseModel):
    """marts.drift_summary, the production version's latest day."""

    window_date: dt.date
    is_today: bool = Field(description="window_date is today (UTC).")
    status: str | None = Field(description="ok, warning or alert.")
    drift_share: float | None
    n_drifted: int | None
    n_drift_alerts: int | None = Field(
        description="Features drifted drift_consecutive_windows days in a row (the status "
                    "counts these).")
    alert_share: float | None
    n_features: int | None
    drifted_features: list[str]


class FourFifthsVerdict(BaseModel):
    """marts.fairness_summary, one sensitive attribute on the production version's latest day."""

    window_date: dt.date
    attribute: str
    demographic_parity_ratio: float | None
    passes_four_fifths_rule: bool | None


class FairnessAlert(BaseModel):
    """marts.fairness_alerts on the production version's latest fairness day: a parity gap whose
    whole bootstrap interval is past its bound, for fairness_consecutive_windows windows."""

    window_kind: str = Field(description="day, or 7d (the 7 days ending on window_date).")
    window_date: dt.date
    attribute: str
    check_name: str = Field(description="four_fifths, equalized_odds, or "
                                        "estimated_equalized_odds (estimated without labels, "
                                        "its sampling band as the interval).")
    observed_value: float | None
    ci_low: float
    ci_high: float
    bound: float
    breached_days_in_a_row: int


class PromotionDecision(BaseModel):
    """marts.promotion_decisions, the latest decision of the model."""

    decision_id: str
    candidate_version: str
    production_version: str | None
    decided_at: dt.datetime | None
    decision: str
    candidate_auc: float | None
    production_auc: float | None
    auc_delta: float | None
    reasons: str | None


class ModelStatus(BaseModel):
    model_name: str
    production: ProductionVersion | None
    drift: DriftToday | None
    four_fifths: list[FourFifthsVerdict]
    fairness_alerts: list[FairnessAlert]
    last_promotion_decision: PromotionDecision | None


class Alert(BaseModel):
    """marts.alerts: an alert of any kind, as the webhook, BI tools and `vigie alerts` see it."""

    alert_id: str = Field(description="Its key and the time it holds from.")
    alert_kind: str = Field(description="drift, fairness, kpi, promotion or data_health.")
    check_name: str
    severity: str = Field(description="critical or warning.")
    model_name: str
    model_version: str | None
    window_date: dt.date
    raised_at: dt.datetime
    subject: str
    message: str = Field(description="One line for a person, with the numbers.")
    delivery_status: str = Field(description="sent, suppressed, to_send or to_suppress.")
    sent_at: dt.datetime | None
