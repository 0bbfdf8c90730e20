"""`vigie audit`'s pure parts: what a dataset argument names, a frame flattened into audit rows
(the columns as a JSON object, the label apart), and the KS / chi-square tests of the columns
both datasets have and of each gone column against each new one.

Facts only: which test fits a column's type, whether a column drifted, was renamed or lost a
group, is decided in SQL (models/marts/audit) from seeds/thresholds.csv.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from models_ml.drift import chi_square_test, ks_test

ROW_ID_COLUMN = "row_id"  # a file's or table's row id, when it has one
OUTCOME_COLUMN = "outcome"  # a file's or table's label (a value of seeds/outcomes.csv)
DATASETS = ("baseline", "candidate")
AUDIT_ROW_COLUMNS = ["audit_id", "dataset", "row_id", "features", "outcome"]
TEST_COLUMNS = ["audit_id", "baseline_column", "candidate_column", "test_name", "statistic",
                "effect_size", "pvalue", "n_baseline", "n_candidate"]

ERR_EMPTY_SPEC = ("a dataset must be a file path, table:SCHEMA.TABLE, predictions:FROM..TO "
                  "or reference[:VERSION]")
ERR_TABLE = "table:{value!r} must name a table as schema.table (letters, digits, underscores)"
ERR_RANGE = "predictions:{value!r} must be a date range FROM..TO (YYYY-MM-DD..YYYY-MM-DD)"
ERR_RANGE_ORDER = "predictions:{value!r}: the range starts after it ends"
ERR_VERSION = "reference:{value!r} must name a model version (letters, digits, . _ -)"
ERR_DUPLICATE_ROW_ID = "the {dataset} dataset has duplicate row ids, e.g. {row_id!r}"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_VERSION = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class DatasetSpec:
    """One side of an audit: a file, a table, a date range of raw.predictions (with their latest
    labels) or a model version's reference sample (None: the production version's)."""

    kind: str  # file | table | predictions | reference
    text: str  # the argument as given (recorded in raw.audits)
    path: str | None = None
    table: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    model_version: str | None = None


def parse_dataset_spec(text: str) -> DatasetSpec:
    """`table:schema.table`, `predictions:FROM..TO` (both days included), `reference` or
    `reference:VERSION`; anything else is a file path. Raises ValueError naming the bad part."""
    text = (text or "").strip()
    if not text:
        raise ValueError(ERR_EMPTY_SPEC)
    kind, _, value = text.partition(":")
    if kind == "table":
        if not _IDENTIFIER.match(value):
            raise ValueError(ERR_TABLE.format(value=value))
        return DatasetSpec("table", text, table=value)
    if kind == "predictions":
        start, sep, end = value.partition("..")
        try:
            date_from, date_to = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        except ValueError:
            raise ValueError(ERR_RANGE.format(value=value)) from None
        if not sep:
            raise ValueError(ERR_RANGE.format(value=value))
        if date_from > date_to:
            raise ValueError(ERR_RANGE_ORDER.format(value=value))
        return DatasetSpec("predictions", text, date_from=date_from, date_to=date_to)
    if kind == "reference":
        if value and not _VERSION.match(value):
            raise ValueError(ERR_VERSION.format(value=value))
        return DatasetSpec("reference", text, model_version=value or None)
    return DatasetSpec("file", text, path=text)


def _json_value(value: object) -> object:
    """A cell as JSON: None for missing values (NaN, NaT, None), Python scalars otherwise."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    return value


def audit_rows(frame: pd.DataFrame, *, audit_id: str, dataset: str) -> pd.DataFrame:
    """One audit row per frame row: its columns but `row_id` and `outcome` as a JSON object
    (missing values as JSON null), the row id (the `row_id` column, or the row's position from 1)
    and the outcome as text (null when missing). Raises ValueError on duplicate row ids."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    columns = [c for c in frame.columns if c not in (ROW_ID_COLUMN, OUTCOME_COLUMN)]
    if ROW_ID_COLUMN in frame.columns:
        row_ids = [str(v) for v in frame[ROW_ID_COLUMN]]
    else:
        row_ids = [str(i + 1) for i in range(len(frame))]
    repeated = [r for r, n in Counter(row_ids).items() if n > 1]
    if repeated:
        raise ValueError(ERR_DUPLICATE_ROW_ID.format(dataset=dataset, row_id=repeated[0]))
    outcomes = ([_json_value(v) for v in frame[OUTCOME_COLUMN]]
                if OUTCOME_COLUMN in frame.columns else [None] * len(frame))
    records = frame[columns].astype(object).to_dict("records")
    features = [orjson.dumps({str(k): _json_value(v) for k, v in r.items()}).decode()
                for r in records]
    return pd.DataFrame({
        "audit_id": audit_id, "dataset": dataset, "row_id": row_ids, "features": features,
        "outcome": pd.Series([None if o is None else str(o) for o in outcomes], dtype=object)},
        columns=AUDIT_ROW_COLUMNS)


def column_values(frame: pd.DataFrame) -> dict[str, list[object]]:
    """Each column but `row_id` and `outcome` as a list of JSON values (None for missing)."""
    return {str(c): [_json_value(v) for v in frame[c].astype(object)]
            for c in frame.columns if c not in (ROW_ID_COLUMN, OUTCOME_COLUMN)}


def _numbers(values: Sequence[object]) -> np.ndarray:
    return np.array([v for v in values if isinstance(v, int | float) and not isinstance(v, bool)
                     and math.isfinite(v)], dtype=float)


def _string_counts(values: Sequence[object]) -> Counter:
    return Counter(v for v in values if isinstance(v, str))


def pairwise_tests(baseline: Mapping[str, Sequence[object]],
                   candidate: Mapping[str, Sequence[object]], *, audit_id: str) -> pd.DataFrame:
    """For every column both sides have, and every baseline-only column against every
    candidate-only one (the pairs a rename can be): KS (scipy.stats.ks_2samp) on their numbers
    when both have some, chi-square with Cramér's V (scipy.stats.chi2_contingency) on their
    string counts when both have some; nulls and values of other types left out. Effect size:
    the KS statistic, or V."""
    numbers = {side: {c: _numbers(v) for c, v in columns.items()}
               for side, columns in (("baseline", baseline), ("candidate", candidate))}
    strings = {side: {c: _string_counts(v) for c, v in columns.items()}
               for side, columns in (("baseline", baseline), ("candidate", candidate))}
    rows = []
    for left in baseline:
        for right in candidate:
            if left != right and (left in candidate or right in baseline):
                continue
            ref, cur = numbers["baseline"][left], numbers["candidate"][right]
            if ref.size and cur.size:
                ks = ks_test(ref, cur)
                rows.append([audit_id, left, right, "ks", ks.statistic, ks.statistic, ks.pvalue,
                             ks.n_reference, ks.n_current])
            ref_counts, cur_counts = strings["baseline"][left], strings["candidate"][right]
            if ref_counts and cur_counts:
                chi = chi_square_test(ref_counts, cur_counts)
                rows.append([audit_id, left, right, "chi_square", chi.statistic, chi.cramers_v,
                             chi.pvalue, chi.n_reference, chi.n_current])
    return pd.DataFrame(rows, columns=TEST_COLUMNS)
