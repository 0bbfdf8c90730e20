"""Fault suite: a BI role's SELECT on the marts survives a rebuild (before, a grant made by hand
vanished when dbt recreated the table). dbt's `grants` config, driven by VIGIE_BI_ROLE."""

from __future__ import annotations

import uuid

import pytest
from conftest import make_config

from orchestration.dbt_runner import run_dbt
from orchestration.raw_contract import init_warehouse
from orchestration.warehouse import Warehouse

MARTS = ("model_versions", "feature_importance")  # tables, dropped and recreated by every run
SELECT = ["--select", "+model_versions"]


def can_select(warehouse: Warehouse, role: str, mart: str) -> bool:
    return bool(warehouse.scalar(f"select has_table_privilege('{role}', 'marts.{mart}', "
                                 "'select')"))


@pytest.mark.postgres
def test_bi_role_keeps_select_on_marts_across_rebuilds(tmp_path, dbt_target_path, monkeypatch):
    config, drop = make_config("postgres", tmp_path)
    role = f"vigie_bi_{uuid.uuid4().hex[:8]}"
    warehouse = Warehouse(config)
    try:
        init_warehouse(warehouse)
        warehouse.execute(f"create role {role} nologin")
        run_dbt(["seed", "--select", "feature_schema", "outcomes"], config,
                target_path=dbt_target_path, capture=True)
        # Without VIGIE_BI_ROLE: no grants, and a grant by hand is gone after a rebuild.
        monkeypatch.delenv("VIGIE_BI_ROLE", raising=False)
        run_dbt(["run", *SELECT], config, target_path=dbt_target_path, capture=True)
        warehouse.execute(f"grant select on marts.model_versions to {role}")
        run_dbt(["run", *SELECT], config, target_path=dbt_target_path, capture=True)
        assert not can_select(warehouse, role, "model_versions")
        # With it: granted at every build, so two rebuilds later the role still reads them.
        monkeypatch.setenv("VIGIE_BI_ROLE", role)
        for _ in range(2):
            run_dbt(["run", *SELECT], config, target_path=dbt_target_path, capture=True)
            assert all(can_select(warehouse, role, mart) for mart in MARTS)
    finally:
        drop()
        _drop_role(config, role)


def _drop_role(config, role: str) -> None:
    admin = Warehouse(type(config)(**{**config.__dict__, "pg_database": "postgres"}))
    admin.execute(f"drop role if exists {role}")
