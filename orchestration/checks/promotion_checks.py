"""The promotion gate as read-only blocking checks on promotion_decision, before production_model.

Each check reports one row of marts.promotion_gate_checks for the evaluation the decision
recorded: it reads, never writes. A failed or unassessable check has severity ERROR and, being
blocking, keeps production_model from running in the same run. An AUC margin that was assessed
and missed (a fair candidate not better enough: 'skipped') is a WARN: it blocks nothing, and
production_model, finding the recorded decision is not a promotion, changes no stage.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.assets.keys import PROMOTION_DECISION_KEY
from orchestration.checks.gate import GATE_CHECKS, read_checks
from orchestration.resources import WarehouseResource

CHECK_DESCRIPTIONS = {
    "auc_margin": "The candidate's AUC beats production's by promotion_delta on the same "
                  "held-out rows (both AUCs finite).",
    "four_fifths": "Selection rate of the least-approved group is at least four_fifths_ratio "
                   "of the most-approved, for every sensitive attribute with two or more groups "
                   "of min_group_size (fewer blocks).",
    "equalized_odds": "Equalized odds difference (TPR and FPR spread) is at most "
                      "equalized_odds_bound for every sensitive attribute, every compared group "
                      "having labelled favourable and unfavourable outcomes.",
    "sensitive_importance": "Share of mean |TreeSHAP| on sensitive features is at most "
                            "sensitive_importance_share_max and rose at most "
                            "sensitive_importance_jump_max over production (all finite).",
    "validation_auc_floor": "The candidate's validation AUC is finite and at least "
                            "validation_auc_floor.",
    "fuzz_counterfactual": "On inputs generated from the feature schema, changing only a "
                           "sensitive attribute flips the candidate's decision in at most "
                           "fuzz_counterfactual_flip_rate_max of the cases (empty: switched "
                           "off, the check passes and says so).",
}
ERR_NO_DECISION = "promotion_decision has no materialization naming an evaluation"


def recorded_evaluation_id(context: dg.AssetCheckExecutionContext) -> str | None:
    """The evaluation the latest promotion_decision materialization recorded."""
    event = context.instance.get_latest_materialization_event(PROMOTION_DECISION_KEY)
    materialization = event.asset_materialization if event else None
    value = materialization.metadata.get("evaluation_id") if materialization else None
    return getattr(value, "value", value)


def build_gate_checks() -> dg.AssetChecksDefinition:
    """The six gate checks, blocking, evaluated together from one read of the gate mart."""
    specs = [dg.AssetCheckSpec(name, asset=PROMOTION_DECISION_KEY, blocking=True,
                               description=CHECK_DESCRIPTIONS[name])
             for name in GATE_CHECKS]

    @dg.multi_asset_check(specs=specs, name="promotion_gate")
    def promotion_gate(context: dg.AssetCheckExecutionContext,
                       warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        evaluation_id = recorded_evaluation_id(context)
        if evaluation_id is None:
            for name in GATE_CHECKS:
                yield dg.AssetCheckResult(asset_key=PROMOTION_DECISION_KEY, check_name=name,
                                          passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                          metadata={"detail": ERR_NO_DECISION})
            return
        for row in read_checks(warehouse.warehouse(), evaluation_id).itertuples(index=False):
            skipped = row.check_name == "auc_margin" and row.is_assessable and not row.passed
            yield dg.AssetCheckResult(
                asset_key=PROMOTION_DECISION_KEY, check_name=row.check_name,
                passed=bool(row.passed),
                severity=dg.AssetCheckSeverity.WARN if skipped else dg.AssetCheckSeverity.ERROR,
                metadata={"detail": str(row.detail), "is_assessable": bool(row.is_assessable),
                          "observed": _float(row.observed), "ci_low": _float(row.ci_low),
                          "ci_high": _float(row.ci_high), "bound": _float(row.bound),
                          "production_observed": _float(row.production_observed),
                          "production_passed": _verdict(row.production_passed),
                          "evaluation_id": evaluation_id})

    return promotion_gate


def _verdict(value: object) -> str:
    """passed / failed, or 'not applicable' (no production, or the AUC margin)."""
    if value is None or value != value:
        return "not applicable"
    return "passed" if bool(value) else "failed"


def _float(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN is not a metadata float
