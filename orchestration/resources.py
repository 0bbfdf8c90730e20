"""Dagster resources: the warehouse (DuckDB, PostgreSQL or Spark), dbt, and the model store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import yaml
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.dbt_runner import dbt_executable, dbt_overrides, ensure_dbt_on_path
from orchestration.model_store import ModelStore
from orchestration.warehouse import Warehouse, WarehouseConfig, default_project_dir

DEFAULT_MODEL_STORE = "warehouse/models"
DEFAULT_MODEL_VAR = "vigie_default_model"


def default_model_name(project_dir: str | Path) -> str:
    """The dbt var vigie_default_model of dbt_project.yml: the model the seeds configure when
    nothing names another (the SQL reads the same var)."""
    with (Path(project_dir) / "dbt_project.yml").open() as handle:
        return str(yaml.safe_load(handle)["vars"][DEFAULT_MODEL_VAR])


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse is: the fields of WarehouseConfig; unset fields come from VIGIE_*."""

    target: str | None = None
    duckdb_path: str | None = None
    pg_host: str | None = None
    pg_port: int | None = None
    pg_user: str | None = None
    pg_password: str | None = None
    pg_database: str | None = None
    spark_dir: str | None = None
    spark_remote: str | None = None
    project_dir: str | None = None
    # The model the Python steps train, gate and simulate (default: dbt var vigie_default_model).
    model_name: str | None = None

    @classmethod
    def from_config(cls, config: WarehouseConfig,
                    model_name: str | None = None) -> WarehouseResource:
        """A resource pinned to every field of `config` (no environment lookup left)."""
        return cls(target=config.target, duckdb_path=config.resolved_duckdb_path,
                   pg_host=config.pg_host, pg_port=config.pg_port, pg_user=config.pg_user,
                   pg_password=config.pg_password, pg_database=config.pg_database,
                   spark_dir=config.resolved_spark_dir, spark_remote=config.spark_remote,
                   project_dir=config.project_dir,
                   model_name=model_name)

    @property
    def model(self) -> str:
        """The configured model name, else the dbt project's vigie_default_model."""
        return self.model_name or default_model_name(self.config.project_dir)

    @property
    def config(self) -> WarehouseConfig:
        return WarehouseConfig.from_env(
            target=self.target, duckdb_path=self.duckdb_path, pg_host=self.pg_host,
            pg_port=self.pg_port, pg_user=self.pg_user, pg_password=self.pg_password,
            pg_database=self.pg_database, spark_dir=self.spark_dir,
            spark_remote=self.spark_remote,
            project_dir=self.project_dir)

    def warehouse(self) -> Warehouse:
        """A Warehouse that opens a connection per call and closes it (never held across dbt)."""
        return Warehouse(self.config)


class ModelStoreResource(dg.ConfigurableResource):
    """A folder of model artifacts, one sub-folder per model and version (relative paths are
    from the project directory)."""

    root: str = DEFAULT_MODEL_STORE
    project_dir: str | None = None

    def store(self) -> ModelStore:
        root = Path(self.root)
        if not root.is_absolute():
            root = Path(self.project_dir or default_project_dir()) / root
        return ModelStore(root)


def default_model_store_root(config: WarehouseConfig) -> str:
    """$VIGIE_MODEL_STORE, else `models/` next to the DuckDB file or in the local Spark
    warehouse, else warehouse/models."""
    if os.environ.get("VIGIE_MODEL_STORE"):
        return os.environ["VIGIE_MODEL_STORE"]
    if config.target == "duckdb":
        return str(Path(config.resolved_duckdb_path).parent / "models")
    if config.target == "spark":
        return str(Path(config.resolved_spark_dir) / "models")
    return str(Path(config.project_dir) / DEFAULT_MODEL_STORE)


@contextmanager
def dbt_environment(config: WarehouseConfig, target_path: Path) -> Iterator[None]:
    """Point profiles.yml (VIGIE_*) and dbt's target folder at this warehouse for one call."""
    values = dbt_overrides(config, target_path)
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """dbt with the project and profiles.yml at the repository root; profiles.yml picks the target
    from VIGIE_TARGET, which the dbt assets set from the warehouse resource for each call."""
    ensure_dbt_on_path()
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                          dbt_executable=dbt_executable())


def default_resources(project: DbtProject, model_store_root: str | None = None) -> dict:
    """The resources of the code location, read from the environment (VIGIE_*)."""
    return {
        "warehouse": WarehouseResource(),
        "dbt": dbt_resource(project),
        "model_store": ModelStoreResource(
            root=model_store_root or default_model_store_root(WarehouseConfig.from_env())),
    }
