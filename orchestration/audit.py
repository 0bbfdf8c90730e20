"""`vigie audit`: compare two datasets before trusting the second.

Reads the two datasets (files, tables, date ranges of the predictions with their latest labels,
a reference sample), writes them to raw.audit_rows with one raw.audits row, writes the KS /
chi-square tests of their columns to raw.audit_tests, builds the audit models with dbt
(models/*/audit) and reads the verdict, marts.audit_findings, for this audit. Every rule is in
those models; this module moves rows and prints.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import pandas as pd

from models_ml.audit import (
    DatasetSpec,
    audit_rows,
    column_values,
    pairwise_tests,
    parse_dataset_spec,
)
from orchestration.assets.io import append_frame, read_frame, utc_now
from orchestration.dbt_runner import run_dbt
from orchestration.readers import check_readable
from orchestration.warehouse import Warehouse, WarehouseConfig, relation_names
from orchestration.warehouse_init import init_warehouse

FINDING_KINDS = ("schema", "nulls", "drift", "representation", "labels")
# The audit's marts and what they read (their staging and intermediate models, the seeds they
# use), so an audit of two files needs no `vigie build` first. Not int_audit_prediction_rows:
# `vigie build` builds it (it reads the latest labels, which only a build keeps up to date),
# and it is read before these run.
AUDIT_SELECTION = ("+path:models/marts/audit",)
PREDICTION_ROWS = ("intermediate", "int_audit_prediction_rows")

ERR_NO_ROWS = "the {dataset} dataset {source} has no rows"
ERR_AUDIT_EXISTS = "audit {audit_id!r} already exists: choose another --audit-id"
ERR_NOT_BUILT = ("{source}: the predictions and their labels are read from "
                 "intermediate.int_audit_prediction_rows, which does not exist yet: run "
                 "`vigie build` first")
ERR_NO_REFERENCE = "{source}: no reference sample for model {model_name!r}{version}"
ERR_FAIL_ON = "--fail-on takes {allowed} or all, got {value!r}"
ERR_NO_FINDINGS = "audit {audit_id!r}: marts.audit_findings has no row for it"


@dataclass(frozen=True)
class AuditResult:
    """The audit's id and its rows of marts.audit_findings."""

    audit_id: str
    findings: pd.DataFrame

    def failing(self, kinds: Sequence[str] = FINDING_KINDS) -> pd.DataFrame:
        """The checks of `kinds` that did not pass (not assessable ones included)."""
        rows = self.findings
        return rows[(~rows["passed"].astype(bool)) & rows["finding_kind"].isin(list(kinds))]


def parse_fail_on(text: str | None) -> tuple[str, ...]:
    """`schema,nulls,...` or `all` as finding kinds; empty for None or ''."""
    if not text:
        return ()
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    if "all" in kinds:
        return FINDING_KINDS
    for kind in kinds:
        if kind not in FINDING_KINDS:
            raise ValueError(ERR_FAIL_ON.format(allowed=", ".join(FINDING_KINDS), value=kind))
    return tuple(kinds)


def read_file_frame(path: str) -> pd.DataFrame:
    """A CSV, JSON Lines or Parquet file as a frame (pandas' types: numbers stay numbers)."""
    fmt = check_readable(path)
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype=False)


def read_prediction_range(warehouse: Warehouse, spec: DatasetSpec,
                          model_name: str) -> pd.DataFrame:
    """The model's predictions scored in [date_from, date_to] (UTC days), one column per
    features key, with their latest label's outcome and the prediction id as row id."""
    with warehouse.connect() as conn:
        if PREDICTION_ROWS[1] not in relation_names(conn, PREDICTION_ROWS[0]):
            raise ValueError(ERR_NOT_BUILT.format(source=spec.text))
    rows = read_frame(warehouse, "select prediction_id, features, outcome "
                                 "from intermediate.int_audit_prediction_rows "
                                 "where model_name = :m and window_date >= :f "
                                 "and window_date <= :t order by prediction_id",
                      {"m": model_name, "f": spec.date_from, "t": spec.date_to})
    features = [f if isinstance(f, dict) else orjson.loads(f) for f in rows["features"]]
    frame = pd.DataFrame.from_records(features) if features else pd.DataFrame()
    frame["row_id"] = rows["prediction_id"].to_numpy()
    frame["outcome"] = rows["outcome"].to_numpy()
    return frame


def read_reference(warehouse: Warehouse, spec: DatasetSpec, model_name: str) -> pd.DataFrame:
    """A version's reference sample (default: the latest version that has one), one column per
    feature; values stored as text become numbers when every one of the column's values is."""
    version = spec.model_version
    if version is None:
        version = warehouse.scalar(
            "select model_version from raw.reference_sample where model_name = :m "
            "group by model_version order by max(ingested_at) desc, model_version desc limit 1",
            {"m": model_name})
    long = read_frame(warehouse, "select row_id, feature_name, value from raw.reference_sample "
                                 "where model_name = :m and model_version = :v",
                      {"m": model_name, "v": version})
    if long.empty:
        raise ValueError(ERR_NO_REFERENCE.format(
            source=spec.text, model_name=model_name,
            version=f" version {version!r}" if version else ""))
    wide = long.pivot(index="row_id", columns="feature_name", values="value")
    for column in wide.columns:
        numbers = pd.to_numeric(wide[column], errors="coerce")
        if numbers.notna().sum() == wide[column].notna().sum():
            wide[column] = numbers
    wide.columns.name = None
    return wide.reset_index()


def read_dataset(warehouse: Warehouse, spec: DatasetSpec, model_name: str) -> pd.DataFrame:
    if spec.kind == "file":
        return read_file_frame(spec.path)
    if spec.kind == "table":
        return read_frame(warehouse, f"select * from {spec.table}")
    if spec.kind == "predictions":
        return read_prediction_range(warehouse, spec, model_name)
    return read_reference(warehouse, spec, model_name)


def new_audit_id() -> str:
    return f"audit-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def record_audit(warehouse: Warehouse, *, audit_id: str, model_name: str,
                 specs: dict[str, DatasetSpec], frames: dict[str, pd.DataFrame]) -> None:
    """raw.audits, raw.audit_rows and raw.audit_tests of one audit, in one transaction."""
    tests = pairwise_tests(column_values(frames["baseline"]), column_values(frames["candidate"]),
                           audit_id=audit_id).assign(computed_at=utc_now())
    if warehouse.scalar("select count(*) from raw.audits where audit_id = :a", {"a": audit_id}):
        raise ValueError(ERR_AUDIT_EXISTS.format(audit_id=audit_id))
    with warehouse.connect() as conn:
        append_frame(conn, warehouse.target, "raw.audits", pd.DataFrame([{
            "audit_id": audit_id, "model_name": model_name,
            "baseline_source": specs["baseline"].text,
            "candidate_source": specs["candidate"].text, "created_at": utc_now()}]))
        for dataset, frame in frames.items():
            append_frame(conn, warehouse.target, "raw.audit_rows",
                         audit_rows(frame, audit_id=audit_id, dataset=dataset))
        append_frame(conn, warehouse.target, "raw.audit_tests", tests)


def run_audit(config: WarehouseConfig, *, baseline: str, candidate: str, model_name: str,
              audit_id: str | None = None, target_path: str | None = None,
              capture: bool = False) -> AuditResult:
    """Record the audit of `candidate` against `baseline`, build the audit marts and return
    its findings. Raises ValueError on a bad dataset, DbtError when dbt fails."""
    specs = {"baseline": parse_dataset_spec(baseline),
             "candidate": parse_dataset_spec(candidate)}
    for spec in specs.values():
        if spec.kind == "file":
            check_readable(spec.path)
    warehouse = Warehouse(config)
    init_warehouse(warehouse)
    frames = {}
    for dataset, spec in specs.items():
        frames[dataset] = read_dataset(warehouse, spec, model_name)
        if frames[dataset].empty:
            raise ValueError(ERR_NO_ROWS.format(dataset=dataset, source=spec.text))
    audit_id = audit_id or new_audit_id()
    record_audit(warehouse, audit_id=audit_id, model_name=model_name, specs=specs,
                 frames=frames)
    run_dbt(["build", "--select", *AUDIT_SELECTION], config,
            target_path=target_path, capture=capture)
    findings = read_frame(warehouse, "select * from marts.audit_findings where audit_id = :a "
                                     "order by finding_kind, subject, check_name",
                          {"a": audit_id})
    if findings.empty:
        raise ValueError(ERR_NO_FINDINGS.format(audit_id=audit_id))
    return AuditResult(audit_id, findings)


def _number(value: object, percent: bool = False) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{100 * float(value):.1f} %" if percent else f"{float(value):.3g}"


def finding_line(row) -> str:
    """One printed line per check that did not pass: kind, subject, what and the numbers."""
    head = f"{row.finding_kind:<14} {row.subject}: {row.finding}"
    if not row.is_assessable:
        return f"{head} ({row.detail})"
    if row.finding_kind == "schema":
        extra = (f", effect size {_number(row.observed_value)}"
                 if row.finding == "renamed" else "")
        return f"{head} ({row.detail}{extra})"
    percent = row.check_name in ("null_rate", "share", "label_rate", "outcome_rate")
    sides = (f"{_number(row.baseline_value, percent)} -> "
             f"{_number(row.candidate_value, percent)}")
    if row.finding_kind == "drift":
        means = f"; mean {sides}" if row.check_name == "ks" else ""
        return (f"{head} ({row.detail} {_number(row.observed_value)} "
                f">= {_number(row.bound)}{means})")
    measure = {"null_rate": "change", "share": "ratio", "label_rate": "ratio",
               "outcome_rate": "change"}[row.check_name]
    return (f"{head} ({row.detail} {sides}, {measure} {_number(row.observed_value)}, "
            f"bound {_number(row.bound)})")


def report_lines(result: AuditResult) -> list[str]:
    """The findings that did not pass, one line each, then a summary line."""
    failing = result.failing()
    lines = [finding_line(row) for row in failing.itertuples(index=False)]
    lines.append(f"audit {result.audit_id}: {len(result.findings)} checks, "
                 f"{len(failing)} not passed"
                 + (f" ({', '.join(sorted(set(failing['finding_kind'])))})"
                    if len(failing) else ""))
    return lines
