"""The promotion gate as blocking asset checks on the candidate's fairness summary."""


from collections.abc import Iterator

import dagster as dg

from models_ml.promotion import CheckResult
from models_ml.simulate import MODEL_NAME
from orchestration.checks.gate import GATE_CHECKS, GateEvaluation, evaluate_gate, record_decision
from orchestration.resources import WarehouseResource

CHECK_DESCRIPTIONS = {
    "four_fifths": "Selection rate of the least-approved group is at least four_fifths_ratio "
                   "of the most-approved, for every sensitive attribute (candidate_parity).",
    "equalized_odds": "Equalized odds difference (TPR and FPR spread) is at most "
                      "equalized_odds_bound for every sensitive attribute.",
    "sensitive_importance": "Share of mean |TreeSHAP| on sensitive features is at most "
                            "sensitive_importance_share_max and rose at most "
                            "sensitive_importance_jump_max over production.",
    "validation_auc_floor": "The candidate's validation AUC is at least validation_auc_floor.",
}


def check_metadata(result: CheckResult | Exception) -> dict:
    if isinstance(result, CheckResult):
        return {"observed": result.observed, "bound": result.bound, "detail": result.detail}
    return {"error": f"{type(result).__name__}: {result}",
            "detail": "the check errored; the gate fails closed and blocks the promotion"}


def gate_check_results(gate: GateEvaluation, asset_key: dg.AssetKey) -> Iterator[
        dg.AssetCheckResult]:
    for name in GATE_CHECKS:
        result = gate.checks[name]
        yield dg.AssetCheckResult(
            asset_key=asset_key, check_name=name,
            passed=isinstance(result, CheckResult) and result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={**check_metadata(result), "candidate_version": gate.candidate,
                      "evaluation_id": gate.evaluation_id})


def build_gate_checks(fairness_summary_key: dg.AssetKey,
                      extra_deps: list[dg.AssetKey]) -> dg.AssetChecksDefinition:
    """Four blocking checks, run together so a blocked decision is recorded once, with every
    check's numbers; an erroring check counts as failed (fail closed)."""
    specs = [dg.AssetCheckSpec(name, asset=fairness_summary_key, blocking=True,
                               description=CHECK_DESCRIPTIONS[name], additional_deps=extra_deps)
             for name in GATE_CHECKS]

    @dg.multi_asset_check(specs=specs, name="promotion_gate")
    def promotion_gate(context: dg.AssetCheckExecutionContext,
                       warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        wh = warehouse.warehouse()
        gate = evaluate_gate(wh, MODEL_NAME)
        failed = [r["check"] for r in gate.rows() if not r["passed"]]
        if failed:
            record_decision(wh, gate)
            context.log.warning(f"{gate.candidate} blocked by {', '.join(failed)}: "
                                + "; ".join(gate.decision.reasons))
        yield from gate_check_results(gate, fairness_summary_key)

    return promotion_gate
