"""The production model: the candidate is promoted only past the gate and the AUC margin."""


import dagster as dg

from models_ml.simulate import MODEL_NAME
from orchestration.assets.io import markdown_table
from orchestration.assets.keys import PRODUCTION_MODEL_KEY, PROMOTION_GROUP
from orchestration.checks.gate import GateEvaluation, evaluate_gate, record_decision
from orchestration.resources import WarehouseResource


def gate_metadata(gate: GateEvaluation) -> dict:
    """The gate's numbers as asset metadata (Markdown tables for the UI)."""
    d = gate.decision
    summary = [{"candidate": gate.candidate, "production": gate.production,
                "candidate_auc": d.candidate_auc, "production_auc": d.production_auc,
                "delta": d.delta, "promotion_delta": d.promotion_delta, "decision": d.decision}]
    return {"decision": d.decision, "candidate_version": gate.candidate,
            "production_version": gate.production, "evaluation_id": gate.evaluation_id,
            "candidate_auc": d.candidate_auc, "production_auc": d.production_auc,
            "auc_delta": d.delta, "reasons": "; ".join(d.reasons),
            "comparison": dg.MetadataValue.md(markdown_table(summary)),
            "gate": dg.MetadataValue.md(markdown_table(gate.rows()))}


def build_production_model(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """production_model, downstream of the candidate evaluation marts the gate checks."""

    @dg.asset(key=PRODUCTION_MODEL_KEY, group_name=PROMOTION_GROUP, deps=upstream,
              kinds={"python"},
              description="raw.model_registry: the promotion decision. The candidate becomes "
                          "production only if every gate check passed and its AUC beats "
                          "production by promotion_delta; every decision is a registry row")
    def production_model(context: dg.AssetExecutionContext,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        gate = evaluate_gate(wh, MODEL_NAME)
        record_decision(wh, gate)
        context.log.info(f"{gate.candidate} vs {gate.production}: {gate.decision.decision} — "
                         + "; ".join(gate.decision.reasons))
        return dg.MaterializeResult(metadata=gate_metadata(gate))

    return production_model
