"""The raw contract: the tables a serving system writes into, created idempotently.

Timestamps are stored without a time zone and always hold UTC; ingestion converts
zone-aware input to UTC and reads zone-less input as UTC.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from orchestration.warehouse import Warehouse

RAW_SCHEMA = "raw"
SCHEMAS = ("raw", "staging", "intermediate", "marts")

metadata = sa.MetaData(schema=RAW_SCHEMA)
INIT_LOCK_KEY = 7_160_816  # PostgreSQL advisory lock held while init_warehouse runs

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

# Written by the Python KS step; marts.feature_drift reads it (it may be empty). A test is
# keyed by the reference it was computed against and the day's prediction count it saw, so a
# new reference or late rows add a row and the mart shows only the test of the current data.
drift_tests = sa.Table(
    "drift_tests",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("test_name", sa.String, nullable=False),  # ks | chi_square | wasserstein
    sa.Column("reference_hash", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("statistic", sa.Double),
    sa.Column("effect_size", sa.Double),
    sa.Column("pvalue", sa.Double),
    sa.Column("n_reference", sa.Integer),
    sa.Column("n_current", sa.Integer),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "feature_name",
                            "test_name", "reference_hash", "n_predictions"),
)

# Held-out labelled rows scored by a candidate and by production, for the promotion gate.
evaluation_scores = sa.Table(
    "evaluation_scores",
    metadata,
    sa.Column("evaluation_id", sa.String, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("role", sa.String, nullable=False),  # candidate | production
    sa.Column("prediction_id", sa.String, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("decision", sa.String, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("evaluation_id", "model_version", "prediction_id"),
    # Spark's Parquet tables cannot delete rows: a re-run of an evaluation replaces its
    # partition instead (warehouse.delete_where).
    info={"spark_partition_by": "evaluation_id"},
)

# A version's held-out validation rows as it scored them at training (row_id: the prediction
# for a retrained candidate, the reference row for the initial model); dbt computes the
# validation AUC from them (marts.model_versions.validation_auc).
validation_scores = sa.Table(
    "validation_scores",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "row_id"),
)

# The isotonic calibration of a version's scores, fitted on its validation rows (models_ml/
# calibration.py): the points of a piecewise-linear map from score to the probability of the
# unfavourable outcome, keyed by the validation rows it was fitted on (their count), so a version
# whose validation rows changed is fitted again. dbt applies it (marts.performance_estimates).
score_calibration = sa.Table(
    "score_calibration",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("n_validation_rows", sa.Integer, nullable=False),
    sa.Column("point_index", sa.Integer, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("calibrated_probability", sa.Double, nullable=False),
    sa.Column("fitted_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "n_validation_rows", "point_index"),
)

# The domain classifier of a day × version (models_ml/multivariate.py): each sampled row's
# out-of-fold score (side: baseline or current), keyed by the version's baseline (its first
# days of production: baseline_key) and the day's prediction count; dbt computes its AUC
# (marts.multivariate_drift).
domain_classifier_scores = sa.Table(
    "domain_classifier_scores",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("baseline_key", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("side", sa.String, nullable=False),  # reference | current
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("fold", sa.Integer, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "baseline_key",
                            "n_predictions", "side", "row_id"),
)

# Each feature's share of the domain classifier's gain, summed over its folds, per run.
domain_classifier_importance = sa.Table(
    "domain_classifier_importance",
    metadata,
    sa.Column("window_date", sa.Date, nullable=False),
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("baseline_key", sa.String, nullable=False),
    sa.Column("n_predictions", sa.BigInteger, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("gain_share", sa.Double, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("window_date", "model_name", "model_version", "baseline_key",
                            "n_predictions", "feature_name"),
)

# Mean |TreeSHAP| per feature for a model version, from LightGBM pred_contrib=True.
feature_contributions = sa.Table(
    "feature_contributions",
    metadata,
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("feature_name", sa.String, nullable=False),
    sa.Column("mean_abs_contribution", sa.Double, nullable=False),
    sa.Column("n_rows", sa.Integer, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("model_name", "model_version", "feature_name"),
)

# `vigie fuzz` (orchestration/fuzz.py): every schema-generated case of a model version with its
# score and decision; dbt computes what they show (marts.model_fuzz_results).
model_fuzz_scores = sa.Table(
    "model_fuzz_scores",
    metadata,
    sa.Column("fuzz_id", sa.String, nullable=False),  # model_name:model_version
    sa.Column("model_name", sa.String, nullable=False),
    sa.Column("model_version", sa.String, nullable=False),
    sa.Column("case_id", sa.String, nullable=False),
    # centre | edge | combination | random | step | counterfactual
    sa.Column("case_kind", sa.String, nullable=False),
    sa.Column("base_case_id", sa.String),  # the case a step or counterfactual perturbs
    sa.Column("perturbed_feature", sa.String),
    sa.Column("perturbation", sa.String),  # up | down | min | max | category=... | band=...
    sa.Column("features", sa.String, nullable=False),  # the inputs as a JSON object
    sa.Column("score", sa.Double),
    sa.Column("decision", sa.String),
    sa.Column("fuzz_seed", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("fuzz_id", "case_id"),
    info={"spark_partition_by": "fuzz_id"},
)


# Every delivery attempt of an alert of marts.alerts to the webhook (orchestration/alerting.py):
# sent, failed (tried again next time) or suppressed (the view said another alert with the same
# key went out within alert_suppression_hours). marts.alerts reads it back: sent or not.
alert_deliveries = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("alert_id", sa.String, nullable=False),
    sa.Column("alert_key", sa.String, nullable=False),
    sa.Column("attempted_at", sa.DateTime, nullable=False),
    sa.Column("delivery_status", sa.String, nullable=False),  # sent | failed | suppressed
    sa.Column("http_status", sa.Integer),
    sa.Column("detail", sa.String),
    sa.PrimaryKeyConstraint("alert_id", "attempted_at"),
)

# `vigie audit` (orchestration/audit.py): one row per audit, naming its two datasets.
audits = sa.Table(
    "audits",
    metadata,
    sa.Column("audit_id", sa.String, primary_key=True),
    sa.Column("model_name", sa.String, nullable=False),  # whose sensitive groups and outcomes
    sa.Column("baseline_source", sa.String, nullable=False),
    sa.Column("candidate_source", sa.String, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# The rows of an audit's two datasets (dataset: baseline | candidate), flattened as
# raw.predictions is: the columns as a JSON object, and the label's outcome when known.
audit_rows = sa.Table(
    "audit_rows",
    metadata,
    sa.Column("audit_id", sa.String, nullable=False),
    sa.Column("dataset", sa.String, nullable=False),
    sa.Column("row_id", sa.String, nullable=False),
    sa.Column("features", JsonObject, nullable=False),
    sa.Column("outcome", sa.String),
    sa.PrimaryKeyConstraint("audit_id", "dataset", "row_id"),
)

# KS (numbers) and chi-square (strings) of an audit's columns, from models_ml/drift.py: each
# column both datasets have, and each baseline-only column against each candidate-only one;
# dbt picks the test that fits the columns' types and decides (drift, likely renames).
audit_tests = sa.Table(
    "audit_tests",
    metadata,
    sa.Column("audit_id", sa.String, nullable=False),
    sa.Column("baseline_column", sa.String, nullable=False),
    sa.Column("candidate_column", sa.String, nullable=False),
    sa.Column("test_name", sa.String, nullable=False),  # ks | chi_square
    sa.Column("statistic", sa.Double),
    sa.Column("effect_size", sa.Double),
    sa.Column("pvalue", sa.Double),
    sa.Column("n_baseline", sa.Integer),
    sa.Column("n_candidate", sa.Integer),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("audit_id", "baseline_column", "candidate_column", "test_name"),
)


def init_warehouse(warehouse: Warehouse) -> list[str]:
    """Create the schemas and raw tables that do not exist yet; return the tables created."""
    if warehouse.target == "spark":
        return _init_spark(warehouse)
    with warehouse.connect() as conn:
        if conn.dialect.name == "postgresql":
            # `create schema if not exists` run by two processes at once collides in the catalog
            # (two concurrent `vigie ingest` on a new database): one init at a time.
            conn.execute(sa.text("select pg_advisory_xact_lock(:key)"), {"key": INIT_LOCK_KEY})
        for schema in SCHEMAS:
            conn.execute(sa.text(f"create schema if not exists {schema}"))
        _drop_unkeyed_drift_tests(conn)
        inspector = sa.inspect(conn)
        missing = [t for t in metadata.sorted_tables
                   if not inspector.has_table(t.name, schema=RAW_SCHEMA)]
        metadata.create_all(conn, tables=missing, checkfirst=True)
        _add_missing_columns(conn, inspector, [t for t in metadata.sorted_tables
                                               if t not in missing])
    return [t.name for t in missing]


def _add_missing_columns(conn: sa.Connection, inspector, tables: list[sa.Table]) -> None:
    """Add the nullable columns a newer contract has to tables an older one created."""
    for table in tables:
        # information_schema, not inspector.get_columns: duckdb_engine's reflection queries
        # pg_catalog.pg_collation, which DuckDB does not have.
        present = {r[0] for r in conn.execute(sa.text(
            "select column_name from information_schema.columns "
            "where table_schema = :s and table_name = :t"), {"s": RAW_SCHEMA, "t": table.name})}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(sa.text(f'alter table {RAW_SCHEMA}.{table.name} '
                                     f'add column "{column.name}" {kind}'))


def _drop_unkeyed_drift_tests(conn: sa.Connection) -> None:
    """Drop a raw.drift_tests without reference_hash (an older contract keyed by day only): its
    tests cannot say which reference they used; the drift step recomputes them."""
    columns = {r[0] for r in conn.execute(sa.text(
        "select column_name from information_schema.columns "
        "where table_schema = :s and table_name = 'drift_tests'"), {"s": RAW_SCHEMA})}
    if columns and "reference_hash" not in columns:
        # PostgreSQL: the staging view over it goes too (dbt recreates it).
        cascade = " cascade" if conn.dialect.name == "postgresql" else ""
        conn.execute(sa.text(f"drop table {RAW_SCHEMA}.drift_tests{cascade}"))


def _init_spark(warehouse: Warehouse) -> list[str]:
    """The same schemas and tables on Spark: Parquet tables in the session's catalog, with the
    nullable columns of a newer contract added to older tables."""
    from orchestration.spark_connection import create_table_sql, spark_type
    spark = warehouse.spark_connection().spark
    for schema in SCHEMAS:
        spark.sql(f"create database if not exists {schema}")
    created = []
    for table in metadata.sorted_tables:
        name = f"{RAW_SCHEMA}.{table.name}"
        if not spark.catalog.tableExists(name):
            spark.sql(create_table_sql(table))
            created.append(table.name)
            continue
        present = {c.name for c in spark.catalog.listColumns(name)}
        added = [c for c in table.columns if c.name not in present and c.nullable]
        if added:
            spark.sql(f"alter table {name} add columns ("
                      + ", ".join(f"`{c.name}` {spark_type(c)}" for c in added) + ")")
    return created
