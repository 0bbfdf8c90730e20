"""The dbt project as Dagster assets: readable keys (schema/model) and groups by step."""


import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_manifest import validate_manifest
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration.assets.dbt_in_process import stream_in_process
from orchestration.assets.dbt_metadata import METADATA_BY_KEY
from orchestration.assets.keys import (
    MARTS_GROUP,
    MODEL_EXTRA_DEPS,
    MODEL_GROUPS,
    RAW_GROUP,
    SOURCE_KEYS,
    STAGING_GROUP,
)
from orchestration.dbt_runner import ensure_dbt_on_path
from orchestration.resources import WarehouseResource, dbt_environment
from orchestration.warehouse import default_project_dir

DBT_ASSETS_NAME = "vigie_dbt"
INDIRECT_SELECTION = "DBT_INDIRECT_SELECTION"
PARTIAL_PARSE = "partial_parse.msgpack"


class VigieDbtTranslator(DagsterDbtTranslator):
    """Keys schema/name (sources written by Python assets map to those assets); groups by step."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        name = dbt_resource_props["name"]
        if resource_type == "source":
            return SOURCE_KEYS.get(name, dg.AssetKey([dbt_resource_props["source_name"], name]))
        if resource_type == "seed":
            return dg.AssetKey(["raw", name])
        if resource_type == "snapshot":
            return dg.AssetKey(["snapshots", name])
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "models"
        return dg.AssetKey([layer, name])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: DbtProject | None) -> dg.AssetSpec:
        """The default spec, plus the Python assets a model reads through a shared source."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        extra = MODEL_EXTRA_DEPS.get(unique_id.split(".")[-1]) if unique_id.startswith(
            "model.") else None
        return spec.merge_attributes(deps=list(extra)) if extra else spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        name = dbt_resource_props["name"]
        if resource_type in ("seed", "source"):
            return RAW_GROUP
        if name in MODEL_GROUPS:
            return MODEL_GROUPS[name]
        fqn = dbt_resource_props["fqn"]
        return MARTS_GROUP if len(fqn) > 2 and fqn[1] in ("marts", "snapshots") else STAGING_GROUP


def vigie_dbt_project(target_path: str | Path | None = None, *,
                      prepare: bool = False) -> DbtProject:
    """The dbt project at the repository root; its manifest is parsed when missing (the
    repository does not commit target/), under `dagster dev`, or when `prepare` is asked."""
    root = default_project_dir()
    ensure_dbt_on_path()  # the manifest preparer runs `dbt parse` by name
    target_path = Path(target_path or os.environ.get("VIGIE_DBT_TARGET_PATH", "target"))
    project = DbtProject(project_dir=root, profiles_dir=root, target_path=target_path)
    if using_dagster_dev():
        project.prepare_if_dev()
    elif prepare or not project.manifest_path.exists():
        project.preparer.prepare(project)
    return project


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """@dbt_assets over the project's manifest; dbt tests become asset checks."""
    invocations = Path(project.project_dir) / project.target_path

    @dbt_assets(manifest=project.manifest_path, project=project, name=DBT_ASSETS_NAME,
                dagster_dbt_translator=VigieDbtTranslator())
    def vigie_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                  warehouse: WarehouseResource):
        held: list = []
        with dbt_environment(warehouse.config, invocations), singular_tests_when_buildable():
            # dbt skips what is downstream of a failed test; failed tests show as failed checks.
            if warehouse.config.local_spark:
                invocation = invocations / f"{context.run_id[:8]}-{uuid.uuid4().hex[:8]}"
                events = stream_in_process(
                    context, validate_manifest(project.manifest_path), VigieDbtTranslator(),
                    warehouse.config, invocation)
            else:
                cli = dbt.cli(["build"], context=context, raise_on_error=False)
                invocation, events = cli.target_path, cli.stream()
            for event in events:
                # From the first event that gets metadata on, events wait for dbt to let go of
                # the warehouse (outputs stay in dbt's order, as Dagster requires).
                if held or event_key(context, event) in METADATA_BY_KEY:
                    held.append(event)
                else:
                    yield event
            keep_partial_parse(Path(invocation), invocations)
        yield from with_relation_metadata(held, context, warehouse)

    return vigie_dbt


def keep_partial_parse(invocation: Path, shared: Path) -> None:
    """Make this step's parse the one the next step starts from. dagster-dbt copies the shared
    target folder's partial_parse.msgpack into each invocation's folder, and dbt refuses it when
    it was parsed for another warehouse (the connection's path or database is in its hash:
    "profile has changed") and parses the whole project again, about 4 s a step. The
    invocation's own file fits this warehouse. Replaced atomically: steps may run side by side."""
    source = invocation / PARTIAL_PARSE
    if not source.exists():
        return
    staged = shared / f".{PARTIAL_PARSE}.{uuid.uuid4().hex}"
    shutil.copyfile(source, staged)
    os.replace(staged, shared / PARTIAL_PARSE)


@contextmanager
def singular_tests_when_buildable() -> Iterator[None]:
    """A step of the dbt assets (Dagster splits them around the Python steps) runs a test only
    when every relation it reads is built by then: `buildable` indirect selection, so a singular
    test reading two models never runs in the step of the first one on a fresh warehouse."""
    previous = os.environ.get(INDIRECT_SELECTION)
    os.environ[INDIRECT_SELECTION] = "buildable"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(INDIRECT_SELECTION, None)
        else:
            os.environ[INDIRECT_SELECTION] = previous


def event_key(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    """The asset an event of the dbt stream is about (an output, a materialization, a check)."""
    if isinstance(event, dg.Output):
        return context.assets_def.keys_by_output_name[event.output_name]
    return getattr(event, "asset_key", None)


def with_relation_metadata(held: list, context: dg.AssetExecutionContext,
                           warehouse: WarehouseResource):
    """The held events in order, the outputs of METADATA_BY_KEY with the metadata read from
    their relation (what the sensors and the UI read)."""
    wh = warehouse.warehouse()
    for event in held:
        key = event_key(context, event)
        if isinstance(event, dg.Output | dg.AssetMaterialization) and key in METADATA_BY_KEY:
            event = event.with_metadata({**event.metadata, **METADATA_BY_KEY[key](wh)})
        yield event
