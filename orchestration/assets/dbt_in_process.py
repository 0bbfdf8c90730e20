"""The dbt assets' step on a local Spark warehouse: dbt runs inside the step's process.

A local Spark catalog belongs to the process that opened it (orchestration/spark.py), and the
Python steps of a run open it in the run's process, so dbt cannot be the subprocess that
dagster-dbt starts. The same selection dagster-dbt would pass (the step's subset of the
project) goes to dbt's own runner here, and its result events become the same Dagster events
(outputs, asset checks) through dagster-dbt's own translation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt_common.events.functions import msg_to_dict

from orchestration.dbt_runner import DbtError, run_dbt_in_process
from orchestration.warehouse import WarehouseConfig

# dbt's events for a finished node: what dagster-dbt turns into outputs and check results.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult",
                           "LogTestResult"})
INDIRECT_SELECTION = "DBT_INDIRECT_SELECTION"


def stream_in_process(context: dg.AssetExecutionContext, manifest: dict,
                      translator, config: WarehouseConfig, target_path: Path) -> Iterator:
    """`dbt build` of the step's selection in this process; its Dagster events, in dbt's order.

    A failed model or test is an event like on the subprocess path (a failed check, or a
    model that does not materialize); dbt failing to run at all raises DbtError.
    """
    params = get_updated_cli_invocation_params_for_context(
        context=context, manifest=manifest, dagster_dbt_translator=translator)
    project_dir = str(params.dbt_project.project_dir) if params.dbt_project else None
    results: list[dict] = []

    def keep(event) -> None:
        if event.info.name in RESULT_EVENTS:
            results.append(msg_to_dict(event))

    previous = os.environ.get(INDIRECT_SELECTION)
    if params.indirect_selection:
        os.environ[INDIRECT_SELECTION] = params.indirect_selection
    try:
        proc = run_dbt_in_process(["build", *params.selection_args], config,
                                  target_path=target_path, project_dir=project_dir,
                                  callbacks=[keep])
    finally:
        if previous is None:
            os.environ.pop(INDIRECT_SELECTION, None)
        else:
            os.environ[INDIRECT_SELECTION] = previous
    if proc.returncode == 2:
        raise DbtError(f"dbt build could not run on the {config.target} warehouse, "
                       "see its output")
    for raw in results:
        message = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        yield from message.to_default_asset_events(
            manifest=params.manifest, dagster_dbt_translator=params.dagster_dbt_translator,
            context=context, target_path=target_path, project=params.dbt_project)
