"""The model registry in raw.model_registry: every registration, promotion decision and rollback
is a row, and the current stage of a version is its latest row.

versions() is the one Python reading of the stage: the registry steps run between dbt builds
and need the stage as written a moment ago, which marts.model_versions (a table rebuilt after
the decision) does not hold yet; that mart is the same rule in SQL for everyone else."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from orchestration.raw_contract import model_registry
from orchestration.warehouse import Warehouse

ERR_UNKNOWN_VERSION = "model {model} has no registered version {version!r}"
ERR_ALREADY_PRODUCTION = "{model} {version} is already in production"
ERR_NEVER_PRODUCTION = ("{model} {version} was never in production (stage {stage}): rollback "
                        "returns only to an earlier production version; a candidate reaches "
                        "production only through the promotion gate")


class RegistryError(ValueError):
    """A registry operation names a version that does not exist or makes no sense."""


@dataclass(frozen=True)
class RegisteredVersion:
    model_name: str
    model_version: str
    stage: str
    validation_auc: float | None
    decision_threshold: float | None
    artifact_path: str | None
    feature_list: list[str]
    was_production: bool = False  # some event of the version put it in production


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def record_event(conn: sa.Connection, *, model_name: str, model_version: str, event: str,
                 stage: str, reason: str | None = None, details: dict | None = None,
                 **training) -> str:
    """Append one registry row; `training` carries trained_at, dataset_hash, validation_auc..."""
    event_id = uuid.uuid4().hex
    values = dict(registry_event_id=event_id, model_name=model_name, model_version=model_version,
                  event=event, stage=stage, recorded_at=_now(), reason=reason,
                  details=json.dumps(details, default=str) if details is not None else None)
    if "feature_list" in training and not isinstance(training["feature_list"], str):
        training["feature_list"] = json.dumps(list(training["feature_list"]))
    values.update(training)
    conn.execute(sa.insert(model_registry).values(**values))
    return event_id


def versions(warehouse: Warehouse, model_name: str) -> dict[str, RegisteredVersion]:
    """Every registered version with its current stage (its latest event) and training facts."""
    with warehouse.connect() as conn:
        rows = conn.execute(sa.text(
            "select model_version, event, stage, recorded_at, validation_auc, decision_threshold, "
            "artifact_path, feature_list from raw.model_registry where model_name = :m "
            "order by recorded_at, registry_event_id"), {"m": model_name}).mappings().all()
    found: dict[str, RegisteredVersion] = {}
    for row in rows:
        before = found.get(row["model_version"])
        registered = row["event"] == "registered" or before is None
        found[row["model_version"]] = RegisteredVersion(
            model_name=model_name,
            model_version=row["model_version"],
            stage=row["stage"],
            validation_auc=row["validation_auc"] if registered else before.validation_auc,
            decision_threshold=(row["decision_threshold"] if registered
                                else before.decision_threshold),
            artifact_path=row["artifact_path"] if registered else before.artifact_path,
            feature_list=(json.loads(row["feature_list"]) if registered and row["feature_list"]
                          else (before.feature_list if before else [])),
            was_production=row["stage"] == "production" or bool(before and before.was_production),
        )
    return found


def production_version(warehouse: Warehouse, model_name: str) -> RegisteredVersion | None:
    """The version whose latest event put it in production, if any."""
    for version in versions(warehouse, model_name).values():
        if version.stage == "production":
            return version
    return None


def set_production(conn: sa.Connection, warehouse_versions: dict[str, RegisteredVersion], *,
                   model_name: str, model_version: str, event: str, reason: str,
                   details: dict | None = None) -> None:
    """Make `model_version` production and archive whichever version was."""
    if model_version not in warehouse_versions:
        raise RegistryError(ERR_UNKNOWN_VERSION.format(model=model_name, version=model_version))
    for other in warehouse_versions.values():
        if other.stage == "production" and other.model_version != model_version:
            record_event(conn, model_name=model_name, model_version=other.model_version,
                         event="archived", stage="archived",
                         reason=f"replaced by {model_version} ({event})")
    record_event(conn, model_name=model_name, model_version=model_version, event=event,
                 stage="production", reason=reason, details=details)


def rollback(warehouse: Warehouse, *, model_name: str, model_version: str, reason: str) -> None:
    """Make an earlier production version production again, recorded as a rolled_back event.

    Only a version that was production before: a rejected, skipped or never-promoted candidate
    is refused (production changes only through the gate, or back)."""
    known = versions(warehouse, model_name)
    if model_version not in known:
        raise RegistryError(ERR_UNKNOWN_VERSION.format(model=model_name, version=model_version))
    if known[model_version].stage == "production":
        raise RegistryError(ERR_ALREADY_PRODUCTION.format(model=model_name,
                                                          version=model_version))
    if not known[model_version].was_production:
        raise RegistryError(ERR_NEVER_PRODUCTION.format(model=model_name, version=model_version,
                                                        stage=known[model_version].stage))
    with warehouse.connect() as conn:
        set_production(conn, known, model_name=model_name, model_version=model_version,
                       event="rolled_back", reason=reason)
