"""The promotion decision: the gate's verdict (marts.promotion_gate) recorded in the registry.

It always materializes, blocked candidates included, and changes no production stage. The step
yields two assets: `promotion_decision`, the verdict the blocking gate checks stand on before
production_model, and `decision_record`, the registry event the registry marts read. Dagster
skips everything downstream of an asset whose blocking check failed, in the same run; with one
asset, a blocked candidate would skip marts.promotion_decisions too and need a second job to
show the block. The record has no blocking check, so the marts that read it refresh in the
same run whatever the verdict (keys.MODEL_EXTRA_DEPS wires them to it).
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.assets.io import markdown_table
from orchestration.assets.keys import DECISION_RECORD_KEY, PROMOTION_DECISION_KEY, PROMOTION_GROUP
from orchestration.checks.gate import (
    GateVerdict,
    current_evaluation,
    read_checks,
    read_verdict,
    record_decision,
)
from orchestration.resources import WarehouseResource


def decision_metadata(verdict: GateVerdict, checks) -> dict:
    """The gate's numbers at a glance: the comparison and every check as Markdown tables."""
    summary = [{"candidate": verdict.candidate, "production": verdict.production,
                "candidate_auc": verdict.candidate_auc, "production_auc": verdict.production_auc,
                "delta": verdict.auc_delta, "promotion_delta": verdict.promotion_delta,
                "decision": verdict.decision}]
    return {"decision": verdict.decision, "candidate_version": verdict.candidate,
            "production_version": verdict.production or "none",
            "evaluation_id": verdict.evaluation_id, "candidate_auc": verdict.candidate_auc,
            "production_auc": verdict.production_auc, "auc_delta": verdict.auc_delta,
            "reasons": verdict.reasons,
            "training_method": verdict.training_method or "unknown",
            "answers_version": verdict.answers_version or "none",
            "groups_too_small": verdict.groups_too_small or "none",
            "production_failed_checks": verdict.production_failed_checks or "none",
            "production_way_out": verdict.production_way_out or "none (production passes)",
            "comparison": dg.MetadataValue.md(markdown_table(summary)),
            "gate": dg.MetadataValue.md(markdown_table(checks.to_dict("records")))}


def build_promotion_decision(gate_marts: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """promotion_decision and decision_record, downstream of the gate marts they read."""

    @dg.multi_asset(
        name="promotion_decision",
        specs=[
            dg.AssetSpec(PROMOTION_DECISION_KEY, group_name=PROMOTION_GROUP, deps=gate_marts,
                         kinds={"python"},
                         description="The gate's verdict for the current candidate (promoted, "
                                     "blocked or skipped, from marts.promotion_gate); the "
                                     "blocking gate checks stand on it before production_model"),
            dg.AssetSpec(DECISION_RECORD_KEY, group_name=PROMOTION_GROUP, deps=gate_marts,
                         kinds={"python"},
                         description="raw.model_registry: the verdict recorded as an event of "
                                     "the candidate (approved, blocked → rejected, skipped → "
                                     "archived), read by the registry marts"),
        ])
    def promotion_decision(context: dg.AssetExecutionContext,
                           warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
        wh = warehouse.warehouse()
        model_name = warehouse.model
        candidate, production, evaluation_id = current_evaluation(wh, model_name)
        verdict = read_verdict(wh, model_name, candidate, production, evaluation_id)
        checks = read_checks(wh, evaluation_id)
        event_id = record_decision(wh, verdict)
        context.log.info(f"{candidate} vs {production or 'none'}: {verdict.decision} — "
                         f"{verdict.reasons}")
        if verdict.production_failed_checks:
            context.log.warning(f"production {production} fails {verdict.production_failed_checks}"
                                f" on the same rows; way out: {verdict.production_way_out}")
        metadata = decision_metadata(verdict, checks)
        yield dg.MaterializeResult(asset_key=PROMOTION_DECISION_KEY, metadata=metadata)
        yield dg.MaterializeResult(asset_key=DECISION_RECORD_KEY, metadata={
            "registry_event_id": event_id, "decision": verdict.decision,
            "candidate_version": candidate, "evaluation_id": evaluation_id,
            "dagster/row_count": 1})

    return promotion_decision
