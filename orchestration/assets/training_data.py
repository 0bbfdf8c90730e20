"""Reads of the training assets: the labelled examples dbt builds (int_training_examples) and
the validation AUC dbt computes (int_validation_auc); no metric or rule is defined here."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import sqlalchemy as sa

from models_ml.training import TrainingSet, training_set_from_examples
from orchestration.assets.io import read_frame
from orchestration.seed_config import feature_schema, sensitive_features, training_max_rows
from orchestration.warehouse import Warehouse, has_relation

ERR_NO_EXAMPLES = ("model {model} has no labelled predictions in "
                   "intermediate.int_training_examples: ingest labels and run vigie build")
ERR_NO_EXAMPLES_AS_OF = "model {model} has no labelled predictions known at {as_of}"
# The one relation training and evaluation read: dbt builds it (models/intermediate).
EXAMPLES_RELATION = "intermediate.int_training_examples"
ERR_NO_VALIDATION_VIEW = ("intermediate.int_validation_auc does not exist: run vigie build "
                          "(dbt) before training")
EXAMPLE_COLUMNS = ("prediction_id", "model_version", "scored_at", "score", "decision",
                   "is_favorable_decision", "outcome", "label_received_at",
                   "is_favorable_outcome")
BAND_SUFFIX = "__group"
# The labelled examples known at a cut-off: the prediction and its latest label both were.
KNOWN_AT_AS_OF = "model_name = :m and scored_at <= :as_of and label_received_at <= :as_of"
# The cap (threshold training_max_rows), written once: when more than :max_rows examples are
# known, each outcome keeps its share of the cap (largest remainders, so the quotas add up to
# the cap exactly; ties to the outcome first in byte order) and, within it, its most recent
# rows (scored_at descending, then prediction_id in byte order: the same rows on DuckDB and
# PostgreSQL whatever the database's collation; Spark compares strings by bytes already). A
# function of the rows known at :as_of only, so a training that reads again at the same cut-off
# reads the same rows. {byte_order} is BYTE_ORDER's entry for the target.
CAPPED_IDS_SQL = f"""
    with known as (
        select prediction_id, outcome, scored_at
        from {EXAMPLES_RELATION}
        where {KNOWN_AT_AS_OF}
    ),

    outcome_counts as (
        select
            outcome,
            count(*) as n_outcome,
            cast(sum(count(*)) over () as bigint) as n_known
        from known
        group by outcome
    ),

    outcome_shares as (
        select
            outcome,
            n_outcome,
            n_known,
            cast(:max_rows as bigint) * n_outcome as scaled,
            mod(cast(:max_rows as bigint) * n_outcome, n_known) as remainder
        from outcome_counts
    ),

    whole_quotas as (
        select
            outcome,
            n_outcome,
            n_known,
            remainder,
            cast((scaled - remainder) / n_known as bigint) as whole_quota
        from outcome_shares
    ),

    quotas as (
        select
            outcome,
            case
                when n_known <= :max_rows then n_outcome
                else whole_quota + case
                    when row_number() over (order by remainder desc, outcome{{byte_order}})
                        <= :max_rows - sum(whole_quota) over () then 1 else 0 end
            end as quota
        from whole_quotas
    ),

    ranked as (
        select
            known.prediction_id,
            row_number() over (partition by known.outcome
                               order by known.scored_at desc,
                                        known.prediction_id{{byte_order}}) as recency_rank,
            quotas.quota
        from known
        inner join quotas on known.outcome = quotas.outcome
    )

    select prediction_id from ranked where recency_rank <= quota"""
# A version's held-out rows still known at the cut-off (raw.validation_scores: the rows it was
# judged on), read whatever the cap keeps, so that a row arriving late cannot push one out.
BYTE_ORDER = {"duckdb": ' collate "C"', "postgres": ' collate "C"', "spark": ""}
VALIDATION_IDS_SQL = """
    union
    select known.prediction_id
    from known
    inner join raw.validation_scores as validation
        on known.prediction_id = validation.row_id
    where validation.model_name = :m and validation.model_version = :validation_rows_of"""
VALIDATION_AUC_SQL = ("select validation_auc from intermediate.int_validation_auc "
                      "where model_name = :m and model_version = :v")


def quote_identifier(name: str, target: str = "duckdb") -> str:
    """A column name from user data (a feature name) as a quoted SQL identifier: double quotes
    (ANSI), backticks on Spark."""
    if target == "spark":
        return "`" + str(name).replace("`", "``") + "`"
    return '"' + str(name).replace('"', '""') + '"'


def band_column(attribute: str) -> str:
    """The int_training_examples column holding a sensitive attribute's band."""
    return f"{attribute}{BAND_SUFFIX}"


def _utc_naive(value) -> dt.datetime:
    """A cut-off as zone-less UTC (the raw contract's convention); zone-less input is UTC."""
    stamp = pd.Timestamp(value)
    return (stamp.tz_convert(None) if stamp.tz is not None else stamp).to_pydatetime()


def latest_label_at(wh: Warehouse, model_name: str) -> dt.datetime:
    """When the model's latest label was received: the default label cut-off."""
    latest = wh.scalar(f"select max(label_received_at) from {EXAMPLES_RELATION} "
                       "where model_name = :m", {"m": model_name})
    if latest is None:
        raise ValueError(ERR_NO_EXAMPLES.format(model=model_name))
    return _utc_naive(latest)


def training_examples(wh: Warehouse, model_name: str, *, features: list[str],
                      attributes: list[str], as_of: dt.datetime, max_rows: int | None = None,
                      validation_rows_of: str | None = None) -> pd.DataFrame:
    """The model's labelled examples whose prediction and latest label were known at as_of,
    from the one relation dbt builds for training (int_training_examples): all of them, or past
    max_rows the capped sample (CAPPED_IDS_SQL) plus validation_rows_of's held-out rows."""
    columns = ", ".join(quote_identifier(c, wh.target) for c in
                        [*EXAMPLE_COLUMNS, *features, *(band_column(a) for a in attributes)])
    params = {"m": model_name, "as_of": _utc_naive(as_of)}
    if max_rows is None:
        rows = KNOWN_AT_AS_OF
    else:
        ids = CAPPED_IDS_SQL.format(byte_order=BYTE_ORDER[wh.target])
        params["max_rows"] = int(max_rows)
        if validation_rows_of is not None:
            ids += VALIDATION_IDS_SQL
            params["validation_rows_of"] = validation_rows_of
        rows = f"prediction_id in ({ids})"
    examples = read_frame(wh, f"select {columns} from {EXAMPLES_RELATION} where {rows}",
                          params)
    if examples.empty:
        raise ValueError(ERR_NO_EXAMPLES_AS_OF.format(model=model_name, as_of=as_of))
    ids = examples["prediction_id"].astype(str)
    return examples.assign(prediction_id=ids).set_index(pd.Index(ids.to_numpy(dtype=object)))


def known_example_count(wh: Warehouse, model_name: str, as_of: dt.datetime) -> int:
    """How many labelled examples of the model were known at as_of (before any cap)."""
    return int(wh.scalar(f"select count(*) from {EXAMPLES_RELATION} where {KNOWN_AT_AS_OF}",
                         {"m": model_name, "as_of": _utc_naive(as_of)}))


def load_training_set(wh: Warehouse, model_name: str, as_of=None, *,
                      validation_rows_of: str | None = None
                      ) -> tuple[TrainingSet, pd.DataFrame, dt.datetime]:
    """The training set as of `as_of` (default: the latest label), capped at the threshold
    training_max_rows, and its examples; validation_rows_of: a version whose held-out rows
    are read even when the cap would leave them out."""
    project_dir = wh.config.project_dir
    as_of = _utc_naive(as_of) if as_of is not None else latest_label_at(wh, model_name)
    features = [r["feature_name"] for r in feature_schema(project_dir, model_name)]
    examples = training_examples(wh, model_name, features=features,
                                 attributes=sensitive_features(project_dir, model_name),
                                 as_of=as_of, max_rows=training_max_rows(project_dir),
                                 validation_rows_of=validation_rows_of)
    return training_set_from_examples(examples, feature_names=features), examples, as_of


def sensitive_groups(examples: pd.DataFrame, attributes: list[str]) -> np.ndarray:
    """Group of each example: its band of every sensitive attribute, joined by "|" (bands from
    int_training_examples, i.e. int_prediction_groups: 'unknown' when missing)."""
    labels = pd.Series("", index=examples.index, dtype=object)
    for attribute in attributes:
        labels = labels + "|" + examples[band_column(attribute)].astype(object).fillna(
            "unknown").astype(str)
    return labels.to_numpy(dtype=object)


def read_validation_auc(conn: sa.Connection, model_name: str, version: str) -> float | None:
    """dbt's validation AUC of a version (the view int_validation_auc over its scores)."""
    if not has_relation(conn, "intermediate", "int_validation_auc"):
        raise ValueError(ERR_NO_VALIDATION_VIEW)
    return conn.execute(sa.text(VALIDATION_AUC_SQL), {"m": model_name, "v": version}).scalar()


def labels_as_of(wh: Warehouse, model_name: str, version: str):
    """The label cut-off the version was trained with (details of its registration)."""
    details = wh.scalar("select details from raw.model_registry where model_name = :m and "
                        "model_version = :v and event = 'registered' order by recorded_at desc",
                        {"m": model_name, "v": version})
    value = json.loads(details or "{}").get("labels_as_of")
    return pd.Timestamp(value).to_pydatetime() if value else None
