"""The raw contract: the tables a serving system writes into (predictions, feedback, reference
samples, model versions) and those ingestion keeps about them (quarantine, batches). The tables
Vigie's own steps write are orchestration/raw_facts.py; orchestration/warehouse_init.py creates
both, idempotently.

Timestamps are stored without a time zone and always hold UTC; ingestion converts
zone-aware input to UTC and reads zone-less input as UTC.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

RAW_SCHEMA = "raw"

metadata = sa.MetaData(schema=RAW_SCHEMA)

# JSON object on both engines (JSONB on PostgreSQL so it can be indexed and unnested fast).
JsonObject = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("prediction_id", sa.String, primary_key=True),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.Column("entity_id", sa.String),
    sa.Column("features", JsonObject, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("latency_ms", sa.Double),
    # sha256 of the validated record: a repeat with the same hash is a harmless duplicate,
    # the same id with another hash is a conflict and goes to quarantine.
    sa.Column("record_hash", sa.String, nullable=False),
    sa.Column("batch_id", sa.String, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("feedback_id", sa.String, primary_key=True),
    sa.Column("prediction_id", sa.String, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("outcome", sa.String),
    sa.Column("rating", sa.Integer),
    sa.Column("event", sa.String),
    sa.Column("comment", sa.String),
    # True when the prediction was unknown at ingestion; staging re-derives it from the join.
    sa.Column("is_orphan_at_ingestion", sa.Boolean, nullable=False),
    sa.Column("record_hash", sa.String, nullable=False),
    sa.Column("batch_id", sa.String, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)

reference_sample = sa.Table(
    "reference_sample",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("value", sa.String),
    sa.Column("batch_id", sa.String, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "row_id", "feature_name"),
)

model_registry = sa.Table(
    "model_registry",
    metadata,
    sa.Column("registry_event_id", sa.String, primary_key=True),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    # registered | promoted | blocked | skipped | rolled_back | archived
    sa.Column("event", sa.String, nullable=False),
    # candidate | production | archived | rejected
    sa.Column("stage", sa.String, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("trained_at", sa.DateTime),
    sa.Column("training_window_start", sa.Date),
    sa.Column("training_window_end", sa.Date),
    sa.Column("dataset_hash", sa.String),
    sa.Column("n_training_rows", sa.Integer),
    sa.Column("validation_auc", sa.Double),
    sa.Column("decision_threshold", sa.Double),
    sa.Column("feature_list", sa.String),
    sa.Column("artifact_path", sa.String),
    sa.Column("reason", sa.String),
    sa.Column("details", sa.String),
    # How a candidate was trained: 'naive' (the team's own pipeline, no fairness treatment) or
    # 'mitigated' (trained because a candidate was blocked for fairness); null for other events.
    sa.Column("training_method", sa.String),
    # For a mitigated candidate's registration: the blocked candidate version it answers.
    sa.Column("answers_version", sa.String),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    # Hash of (source, reason, payload): re-ingesting the same bad file adds nothing.
    sa.Column("quarantine_id", sa.String, primary_key=True),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("batch_id", sa.String, nullable=False),
    sa.Column("source_file", sa.String),
    sa.Column("line_number", sa.Integer),
    sa.Column("record_id", sa.String),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("error_detail", sa.String),
    # The row as received: its text when it was UTF-8 without NUL characters (payload_encoding
    # 'utf-8'), otherwise the exact bytes in base64 (payload_encoding 'base64').
    sa.Column("payload", sa.Text),
    sa.Column("quarantined_at", sa.DateTime, nullable=False),
    sa.Column("payload_encoding", sa.String),
)

ingestion_batches = sa.Table(
    "ingestion_batches",
    metadata,
    sa.Column("batch_id", sa.String, primary_key=True),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("source_file", sa.String),
    sa.Column("file_sha256", sa.String),
    sa.Column("n_received", sa.Integer, nullable=False),
    sa.Column("n_accepted", sa.Integer, nullable=False),
    sa.Column("n_already_present", sa.Integer, nullable=False),
    sa.Column("n_quarantined", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
)
