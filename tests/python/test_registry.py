"""The registry: every event is a row, the stage of a version is its latest event, rollback."""

from __future__ import annotations

import pytest

from orchestration import registry
from orchestration.raw_contract import init_warehouse


def register(conn, version, stage, auc):
    registry.record_event(conn, model_name="m", model_version=version, event="registered",
                          stage=stage, validation_auc=auc, feature_list=["a", "b"])


def test_promotion_and_rollback_are_recorded_and_change_the_stage(warehouse):
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        register(conn, "v1", "production", 0.7)
        register(conn, "v2", "candidate", 0.75)
    with warehouse.connect() as conn:
        registry.set_production(conn, registry.versions(warehouse, "m"), model_name="m",
                                model_version="v2", event="promoted", reason="better and fair")
    assert registry.production_version(warehouse, "m").model_version == "v2"
    assert registry.versions(warehouse, "m")["v1"].stage == "archived"
    assert registry.versions(warehouse, "m")["v2"].validation_auc == 0.75

    registry.rollback(warehouse, model_name="m", model_version="v1", reason="incident")
    current = registry.production_version(warehouse, "m")
    assert (current.model_version, current.validation_auc, current.feature_list) == (
        "v1", 0.7, ["a", "b"])
    events = warehouse.query_df("select event from raw.model_registry "
                                "where model_version = 'v1' order by recorded_at")["event"]
    assert list(events)[-1] == "rolled_back"


def test_rollback_refuses_unknown_and_current_versions(warehouse):
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        register(conn, "v1", "production", 0.7)
    with pytest.raises(registry.RegistryError, match="no registered version 'v9'"):
        registry.rollback(warehouse, model_name="m", model_version="v9", reason="x")
    with pytest.raises(registry.RegistryError, match="already in production"):
        registry.rollback(warehouse, model_name="m", model_version="v1", reason="x")
