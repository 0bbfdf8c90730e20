"""The promotion gate as dbt defines it: each function reads one gate mart for one evaluation.

Nothing here computes a ratio, an AUC or a verdict: marts.promotion_gate_checks holds the six
checks (observed with its interval, bound, is_assessable, passed, detail, and production's
result on the same rows) and marts.promotion_gate the decision, with production's failed checks
and the way out.
A verdict that cannot be read is a block (fail closed), with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from orchestration import registry
from orchestration.assets.evaluation import current_candidate, evaluation_id_for
from orchestration.assets.io import read_frame
from orchestration.warehouse import Warehouse

GATE_CHECKS = ("auc_margin", "four_fifths", "equalized_odds", "sensitive_importance",
               "validation_auc_floor", "fuzz_counterfactual")
ERR_NO_VERDICT = ("marts.promotion_gate holds no verdict for evaluation {evaluation_id} (a dbt "
                  "model or test upstream of the gate failed, or the gate marts were not built)")
ERR_UNREADABLE = "the gate marts could not be read: {error}"
CHECK_COLUMNS = ["check_name", "passed", "is_assessable", "observed", "ci_low", "ci_high", "bound",
                 "detail", "production_observed", "production_ci_low", "production_ci_high",
                 "production_passed"]


@dataclass(frozen=True)
class GateVerdict:
    """The gate's decision for one evaluation, as marts.promotion_gate holds it."""

    evaluation_id: str
    model_name: str
    candidate: str
    production: str | None
    decision: str
    reasons: str
    candidate_auc: float | None = None
    production_auc: float | None = None
    auc_delta: float | None = None
    promotion_delta: float | None = None
    training_method: str | None = None
    answers_version: str | None = None
    groups_too_small: str | None = None
    production_failed_checks: str | None = None
    production_way_out: str | None = None

    def details(self) -> dict:
        """What the registry keeps about the decision (JSON in raw.model_registry.details)."""
        return {"evaluation_id": self.evaluation_id, "candidate_version": self.candidate,
                "production_version": self.production, "candidate_auc": self.candidate_auc,
                "production_auc": self.production_auc, "auc_delta": self.auc_delta,
                "promotion_delta": self.promotion_delta, "decision": self.decision,
                "reasons": self.reasons, "training_method": self.training_method,
                "answers_version": self.answers_version,
                "groups_too_small": self.groups_too_small,
                "production_failed_checks": self.production_failed_checks,
                "production_way_out": self.production_way_out}


def current_evaluation(wh: Warehouse, model_name: str) -> tuple[str, str | None, str]:
    """(candidate, production or None, evaluation id) of the candidate awaiting a decision."""
    candidate = current_candidate(wh, model_name).model_version
    production = registry.production_version(wh, model_name)
    production_name = production.model_version if production else None
    return candidate, production_name, evaluation_id_for(model_name, candidate,
                                                         production_name or "none")


def _text(row: pd.Series, column: str) -> str | None:
    value = row.get(column)
    return None if value is None or pd.isna(value) else str(value)


def _number(value: object) -> float | None:
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def read_verdict(wh: Warehouse, model_name: str, candidate: str, production: str | None,
                 evaluation_id: str) -> GateVerdict:
    """marts.promotion_gate for the evaluation; missing or unreadable is a block."""
    try:
        rows = read_frame(wh, "select * from marts.promotion_gate where evaluation_id = :e",
                          {"e": evaluation_id})
    except Exception as exc:  # fail closed: a gate that cannot be read blocks
        return GateVerdict(evaluation_id, model_name, candidate, production, "blocked",
                           ERR_UNREADABLE.format(error=str(exc).splitlines()[0]))
    if len(rows) != 1:
        return GateVerdict(evaluation_id, model_name, candidate, production, "blocked",
                           ERR_NO_VERDICT.format(evaluation_id=evaluation_id))
    row = rows.iloc[0]
    return GateVerdict(evaluation_id, model_name, candidate, production, str(row["decision"]),
                       str(row["reasons"]), _number(row["candidate_auc"]),
                       _number(row["production_auc"]), _number(row["auc_delta"]),
                       _number(row["promotion_delta"]), _text(row, "training_method"),
                       _text(row, "answers_version"), _text(row, "groups_too_small"),
                       _text(row, "production_failed_checks"), _text(row, "production_way_out"))


def read_checks(wh: Warehouse, evaluation_id: str) -> pd.DataFrame:
    """marts.promotion_gate_checks for the evaluation, one row per check of GATE_CHECKS (a check
    the mart does not hold, or that cannot be read, is a failed row saying so)."""
    try:
        rows = read_frame(wh, f"select {', '.join(CHECK_COLUMNS)} "
                              "from marts.promotion_gate_checks where evaluation_id = :e",
                          {"e": evaluation_id})
    except Exception as exc:  # fail closed
        rows = pd.DataFrame(columns=CHECK_COLUMNS)
        missing = ERR_UNREADABLE.format(error=str(exc).splitlines()[0])
    else:
        missing = ERR_NO_VERDICT.format(evaluation_id=evaluation_id)
    found = {r.check_name: r._asdict() for r in rows.itertuples(index=False)}
    out = [found.get(name, {**dict.fromkeys(CHECK_COLUMNS), "check_name": name,
                            "passed": False, "is_assessable": False, "detail": missing})
           for name in GATE_CHECKS]
    frame = pd.DataFrame(out, columns=CHECK_COLUMNS)
    frame["passed"] = frame["passed"].fillna(False).astype(bool)
    frame["is_assessable"] = frame["is_assessable"].fillna(False).astype(bool)
    return frame


# decision → (registry event, stage after it). An approved candidate stays out of production
# until production_model, past the blocking checks, promotes it.
RECORDED_AS = {"promoted": ("approved", "approved"), "blocked": ("blocked", "rejected"),
               "skipped": ("skipped", "archived")}


def record_decision(wh: Warehouse, verdict: GateVerdict) -> str:
    """Append the verdict to raw.model_registry as an event of the candidate; its id."""
    event, stage = RECORDED_AS.get(verdict.decision, RECORDED_AS["blocked"])
    with wh.connect() as conn:
        return registry.record_event(conn, model_name=verdict.model_name,
                                     model_version=verdict.candidate, event=event, stage=stage,
                                     reason=verdict.reasons, details=verdict.details())
