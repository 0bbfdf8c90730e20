"""The registry: every event is a row, the stage of a version is its latest event, rollback."""

from __future__ import annotations

import pytest

from orchestration import registry
from orchestration.warehouse_init import init_warehouse


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


def test_rollback_refuses_a_rejected_or_never_promoted_version(warehouse):
    """Issue 16: `vigie rollback v2` on a candidate the gate blocked made it production."""
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        register(conn, "v1", "production", 0.7)
        register(conn, "v2", "candidate", 0.8)
        registry.record_event(conn, model_name="m", model_version="v2", event="blocked",
                              stage="rejected", reason="four-fifths rule failed for sex")
        register(conn, "v3", "candidate", 0.8)
    for version, stage in (("v2", "rejected"), ("v3", "candidate")):
        with pytest.raises(registry.RegistryError) as raised:
            registry.rollback(warehouse, model_name="m", model_version=version, reason="x")
        assert str(raised.value) == registry.ERR_NEVER_PRODUCTION.format(
            model="m", version=version, stage=stage)
    assert registry.production_version(warehouse, "m").model_version == "v1"
    assert warehouse.scalar("select count(*) from raw.model_registry") == 4  # nothing written


def test_rollback_returns_to_an_earlier_production_after_a_promotion(warehouse):
    init_warehouse(warehouse)
    with warehouse.connect() as conn:
        register(conn, "v1", "production", 0.7)
        register(conn, "v2", "candidate", 0.8)
        registry.record_event(conn, model_name="m", model_version="v2", event="approved",
                              stage="approved", reason="gate passed")
    with warehouse.connect() as conn:
        registry.set_production(conn, registry.versions(warehouse, "m"), model_name="m",
                                model_version="v2", event="promoted", reason="gate")
    registry.rollback(warehouse, model_name="m", model_version="v1", reason="incident")
    assert registry.production_version(warehouse, "m").model_version == "v1"
    # v2 was production once: rolling forward to it again is a return, allowed
    registry.rollback(warehouse, model_name="m", model_version="v2", reason="fixed")
    assert registry.production_version(warehouse, "m").model_version == "v2"


def test_cli_rollback_of_a_rejected_version_is_one_line_and_non_zero(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from orchestration.cli import main
    from orchestration.warehouse import Warehouse, WarehouseConfig

    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("VIGIE_TARGET", "duckdb")
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    wh = Warehouse(WarehouseConfig.from_env(target="duckdb",
                                            duckdb_path=str(tmp_path / "cli.duckdb")))
    with wh.connect() as conn:
        for version, stage in (("v1", "production"), ("v2", "candidate")):
            registry.record_event(conn, model_name="credit_risk", model_version=version,
                                  event="registered", stage=stage)
        registry.record_event(conn, model_name="credit_risk", model_version="v2",
                              event="blocked", stage="rejected", reason="unfair")
    result = CliRunner().invoke(main, ["rollback", "v2"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "was never in production (stage rejected)" in lines[0]
    assert registry.production_version(wh, "credit_risk").model_version == "v1"
