"""Fault suite: the BI role reads every mart and nothing else, and keeps it across rebuilds
(before, a grant made by hand vanished when dbt recreated the table). `vigie grant-bi` creates
the login role; dbt's `grants` config (VIGIE_BI_ROLE) grants SELECT at every build and its
on-run-end hook USAGE on the schema. `dbt docs generate` then catalogues the built marts and
the exposures that read them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import make_config

from orchestration.cli import main
from orchestration.dbt_runner import run_dbt
from orchestration.grants import check_role_name
from orchestration.warehouse import Warehouse
from orchestration.warehouse_init import init_warehouse

PRIVATE_SCHEMAS = ("raw", "staging", "intermediate")


def relations(warehouse: Warehouse, schemas: tuple[str, ...]) -> list[str]:
    names = ", ".join(f"'{s}'" for s in schemas)
    frame = warehouse.query_df("select table_schema, table_name from information_schema.tables "
                               f"where table_schema in ({names}) order by 1, 2")
    return [f"{s}.{t}" for s, t in zip(frame.table_schema, frame.table_name, strict=True)]


def can_select(warehouse: Warehouse, role: str, relation: str) -> bool:
    return bool(warehouse.scalar(f"select has_table_privilege('{role}', '{relation}', "
                                 "'select')"))


def select_as(config, role: str, relation: str) -> str | None:
    """None when `role` reads `relation`, else the server's refusal."""
    engine = sa.create_engine(sa.URL.create("postgresql+psycopg2", username=role,
                                            host=config.pg_host, port=config.pg_port,
                                            database=config.pg_database),
                              poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"select count(*) from {relation}")).scalar()
        return None
    except sa.exc.ProgrammingError as exc:
        return str(exc.orig).splitlines()[0]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_bi_role_reads_every_mart_and_nothing_else(tmp_path, dbt_target_path, monkeypatch):
    config, drop = make_config("postgres", tmp_path)
    suffix = uuid.uuid4().hex[:8]
    role, listed_only = f"vigie_bi_{suffix}", f"vigie_bi_listed_{suffix}"
    warehouse = Warehouse(config)
    try:
        init_warehouse(warehouse)
        for name, value in config.dbt_env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("VIGIE_BI_PASSWORD", raising=False)
        granted = CliRunner().invoke(main, ["grant-bi", "--role", role])
        assert granted.exit_code == 0, granted.output
        assert f"created login role {role}" in granted.output
        assert not warehouse.scalar(f"select rolpassword is not null from pg_authid "
                                    f"where rolname = '{role}'")
        monkeypatch.setenv("VIGIE_BI_PASSWORD", "it's secret")  # a quote, to be escaped
        again = CliRunner().invoke(main, ["grant-bi", "--role", role])
        assert again.exit_code == 0 and "already there" in again.output
        assert warehouse.scalar(f"select rolpassword is not null from pg_authid "
                                f"where rolname = '{role}'")
        # A second role that only the grants config names: SELECT and USAGE come from dbt.
        warehouse.execute(f"create role {listed_only} nologin")
        monkeypatch.setenv("VIGIE_BI_ROLE", f"{role}, {listed_only}")
        run_dbt(["seed"], config, target_path=dbt_target_path, capture=True)
        run_dbt(["run"], config, target_path=dbt_target_path, capture=True)

        marts = relations(warehouse, ("marts",))
        assert len(marts) >= 15
        assert {m: select_as(config, role, m) for m in marts} == {m: None for m in marts}
        private = relations(warehouse, PRIVATE_SCHEMAS)
        assert {s.split(".")[0] for s in private} == set(PRIVATE_SCHEMAS)
        refusals = {r: select_as(config, role, r) for r in private}
        assert all(text and "permission denied" in text for text in refusals.values()), refusals
        assert warehouse.scalar(f"select has_schema_privilege('{listed_only}', 'marts', "
                                "'usage')")
        assert all(can_select(warehouse, listed_only, m) for m in marts)
        assert not any(can_select(warehouse, listed_only, r) for r in private)

        # A rebuild drops and recreates the tables; the grants come back with them.
        run_dbt(["run", "--select", "+model_versions"], config, target_path=dbt_target_path,
                capture=True)
        assert select_as(config, role, "marts.model_versions") is None
        assert can_select(warehouse, listed_only, "marts.model_versions")

        run_dbt(["docs", "generate"], config, target_path=dbt_target_path, capture=True)
        catalog = json.loads((Path(dbt_target_path) / "catalog.json").read_text())
        catalogued = {f"{n['metadata']['schema']}.{n['metadata']['name']}"
                      for n in catalog["nodes"].values()}
        assert set(marts) <= catalogued
        manifest = json.loads((Path(dbt_target_path) / "manifest.json").read_text())
        status = manifest["exposures"]["exposure.vigie.vigie_api_model_status"]
        assert "model.vigie.drift_summary" in status["depends_on"]["nodes"]
    finally:
        drop()
        for name in (role, listed_only):
            _drop_role(config, name)


def test_grant_bi_refuses_duckdb_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_TARGET", "duckdb")
    monkeypatch.setenv("VIGIE_DUCKDB_PATH", str(tmp_path / "v.duckdb"))
    result = CliRunner().invoke(main, ["grant-bi"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "vigie: error: grant-bi needs the PostgreSQL target (--target postgres): a DuckDB file "
        "has no roles; give a BI tool a read-only copy of the file instead"]


@pytest.mark.parametrize("role", ["Vigie", "bi; drop table x", "1bi", "x" * 64])
def test_grant_bi_refuses_a_role_name_it_would_have_to_quote(role):
    with pytest.raises(ValueError, match="is not accepted"):
        check_role_name(role)


def _drop_role(config, role: str) -> None:
    admin = Warehouse(type(config)(**{**config.__dict__, "pg_database": "postgres"}))
    admin.execute(f"drop role if exists {role}")
