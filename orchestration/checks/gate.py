"""The promotion gate over the latest evaluation: fairness, importance and AUC checks, decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from models_ml.explain import importance_share
from models_ml.metrics import roc_auc
from models_ml.promotion import (
    CheckResult,
    GateThresholds,
    PromotionDecision,
    check_equalized_odds,
    check_four_fifths,
    check_sensitive_importance,
    check_validation_auc_floor,
    decide_promotion,
)
from orchestration import registry
from orchestration.assets.evaluation import current_candidate, evaluation_id_for
from orchestration.assets.io import read_frame
from orchestration.seed_config import outcome_values, sensitive_features, thresholds
from orchestration.warehouse import Warehouse

GATE_CHECKS = ("four_fifths", "equalized_odds", "sensitive_importance", "validation_auc_floor")
ERR_NO_EVALUATION = "no evaluation scores for {evaluation_id}: materialize candidate_evaluation"
ERR_NO_CONTRIBUTIONS = "no feature contributions recorded for {model} {version}"


@dataclass
class GateEvaluation:
    """One pass of the gate: who is compared, on which evaluation, each check and the verdict."""

    model_name: str
    candidate: str
    production: str
    evaluation_id: str
    checks: dict[str, CheckResult | Exception]
    decision: PromotionDecision

    def rows(self) -> list[dict]:
        """Each check as a row: passed, observed, bound, detail (or the error)."""
        out = []
        for name, result in self.checks.items():
            if isinstance(result, CheckResult):
                out.append({"check": name, "passed": result.passed, "observed": result.observed,
                            "bound": result.bound, "detail": result.detail})
            else:
                out.append({"check": name, "passed": False, "observed": None, "bound": None,
                            "detail": f"errored: {type(result).__name__}: {result}"})
        return out

    def details(self) -> dict:
        """What the registry keeps about the decision (JSON in raw.model_registry.details)."""
        d = self.decision
        return {"evaluation_id": self.evaluation_id, "candidate_version": self.candidate,
                "production_version": self.production, "candidate_auc": d.candidate_auc,
                "production_auc": d.production_auc, "auc_delta": d.delta,
                "promotion_delta": d.promotion_delta, "checks": self.rows(),
                "reasons": d.reasons}


def evaluation_aucs(wh: Warehouse, model_name: str, evaluation_id: str) -> dict[str, float | None]:
    """AUC of each role on the evaluation's held-out rows (unfavourable outcome positive)."""
    scores = read_frame(wh, "select evaluation_role, score, outcome from "
                            "staging.stg_raw__evaluation_scores where evaluation_id = :e",
                        {"e": evaluation_id})
    if scores.empty:
        raise ValueError(ERR_NO_EVALUATION.format(evaluation_id=evaluation_id))
    favorable = set(outcome_values(wh.config.project_dir, model_name, "outcome", favorable=True))
    return {role: roc_auc((~rows["outcome"].isin(favorable)).astype(int), rows["score"])
            for role, rows in scores.groupby("evaluation_role")}


def candidate_parity_rows(wh: Warehouse, evaluation_id: str, version: str) -> pd.DataFrame:
    return read_frame(wh, "select attribute, group_name, selection_rate, true_positive_rate, "
                          "false_positive_rate, is_suppressed from marts.candidate_parity "
                          "where evaluation_id = :e and model_version = :v "
                          "and evaluation_role = 'candidate'",
                      {"e": evaluation_id, "v": version})


def sensitive_share(wh: Warehouse, model_name: str, version: str) -> float | None:
    contributions = read_frame(wh, "select feature_name, mean_abs_contribution from "
                                   "raw.feature_contributions where model_name = :m and "
                                   "model_version = :v", {"m": model_name, "v": version})
    if contributions.empty:
        return None
    return importance_share(contributions, sensitive_features(wh.config.project_dir, model_name))


def _guarded(check: Callable[[], CheckResult]) -> CheckResult | Exception:
    """Run one check; an exception is kept as the result, and the gate counts it as a failure."""
    try:
        return check()
    except Exception as exc:  # fail closed: any error blocks the promotion
        return exc


def evaluate_gate(wh: Warehouse, model_name: str) -> GateEvaluation:
    """Every gate check on the current candidate's latest evaluation, and the verdict."""
    bounds = thresholds(wh.config.project_dir)
    gate = GateThresholds.from_mapping(bounds)
    candidate = current_candidate(wh, model_name)
    production = registry.production_version(wh, model_name)
    production_name = production.model_version if production else "none"
    evaluation_id = evaluation_id_for(model_name, candidate.model_version, production_name)
    aucs = evaluation_aucs(wh, model_name, evaluation_id)

    def importance() -> CheckResult:
        share = sensitive_share(wh, model_name, candidate.model_version)
        if share is None:
            raise ValueError(ERR_NO_CONTRIBUTIONS.format(model=model_name,
                                                         version=candidate.model_version))
        baseline = sensitive_share(wh, model_name, production_name) if production else None
        return check_sensitive_importance(share, baseline,
                                          share_max=gate.sensitive_importance_share_max,
                                          jump_max=gate.sensitive_importance_jump_max)

    checks: dict[str, CheckResult | Exception] = {
        "four_fifths": _guarded(lambda: check_four_fifths(
            candidate_parity_rows(wh, evaluation_id, candidate.model_version),
            ratio_min=gate.four_fifths_ratio)),
        "equalized_odds": _guarded(lambda: check_equalized_odds(
            candidate_parity_rows(wh, evaluation_id, candidate.model_version),
            bound=gate.equalized_odds_bound)),
        "sensitive_importance": _guarded(importance),
        "validation_auc_floor": _guarded(lambda: check_validation_auc_floor(
            candidate.validation_auc, floor=gate.validation_auc_floor)),
    }
    decision = decide_promotion(aucs.get("candidate"), aucs.get("production"),
                                list(checks.values()), gate)
    return GateEvaluation(model_name, candidate.model_version, production_name, evaluation_id,
                          checks, decision)


STAGE_AFTER = {"blocked": "rejected", "skipped": "archived"}


def record_decision(wh: Warehouse, gate: GateEvaluation) -> str:
    """Append the decision to raw.model_registry; a promotion archives the old production."""
    decision = gate.decision
    reason = "; ".join(decision.reasons)
    known = registry.versions(wh, gate.model_name)
    with wh.connect() as conn:
        if decision.decision == "promoted":
            registry.set_production(conn, known, model_name=gate.model_name,
                                    model_version=gate.candidate, event="promoted",
                                    reason=reason, details=gate.details())
        else:
            registry.record_event(conn, model_name=gate.model_name, model_version=gate.candidate,
                                  event=decision.decision,
                                  stage=STAGE_AFTER[decision.decision], reason=reason,
                                  details=gate.details())
    return decision.decision
