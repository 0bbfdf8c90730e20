"""Promotion gate: a candidate is promoted only if it beats production by a margin and is fair."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import pandas as pd
from numpy.typing import ArrayLike

from models_ml.metrics import group_metrics

# Tolerance so that a candidate beating production by exactly the delta is promoted.
AUC_TOLERANCE = 1e-9
MISSING_THRESHOLD_ERROR = "threshold {name!r} missing from the thresholds mapping"

Decision = Literal["promoted", "blocked", "skipped"]


@dataclass(frozen=True)
class GateThresholds:
    """The gate's bounds, named as in seeds/thresholds.csv."""

    promotion_delta: float
    four_fifths_ratio: float
    equalized_odds_bound: float
    sensitive_importance_share_max: float
    sensitive_importance_jump_max: float
    validation_auc_floor: float

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> GateThresholds:
        """Read the gate's bounds from a threshold_name -> value mapping (extra names ignored)."""
        kwargs = {}
        for field in fields(cls):
            if field.name not in values:
                raise KeyError(MISSING_THRESHOLD_ERROR.format(name=field.name))
            kwargs[field.name] = float(values[field.name])
        return cls(**kwargs)


@dataclass(frozen=True)
class CheckResult:
    """One gate check: whether it passed, the observed number, its bound and a sentence."""

    name: str
    passed: bool
    observed: float | None
    bound: float
    detail: str


@dataclass(frozen=True)
class PromotionDecision:
    """The gate's verdict, AUC delta (candidate - production) and human-readable reasons."""

    decision: Decision
    reasons: list[str]
    delta: float | None
    candidate_auc: float | None
    production_auc: float | None
    promotion_delta: float
    checks: list[CheckResult]
    errors: list[str]


def parity_table(y_true_favorable: ArrayLike, y_pred_favorable: ArrayLike,
                 attributes: Mapping[str, ArrayLike], *, min_group_size: int) -> pd.DataFrame:
    """metrics.group_metrics for each sensitive attribute, stacked with an attribute column."""
    frames = [group_metrics(y_true_favorable, y_pred_favorable, groups,
                            min_group_size=min_group_size).assign(attribute=attribute)
              for attribute, groups in attributes.items()]
    if not frames:
        return pd.DataFrame(columns=["attribute", "group_name"])
    table = pd.concat(frames, ignore_index=True)
    return table[["attribute", *[c for c in table.columns if c != "attribute"]]]


def _kept_rows(parity_rows: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(parity_rows).copy()
    if "is_suppressed" in frame.columns:
        frame = frame[~frame["is_suppressed"].fillna(False).astype(bool)]
    return frame


def _extremes(frame: pd.DataFrame, column: str) -> tuple[str, float, str, float] | None:
    rows = frame[frame[column].notna()]
    if len(rows) < 2:
        return None
    values = rows[column].astype(float)
    low, high = rows.loc[values.idxmin()], rows.loc[values.idxmax()]
    return str(low["group_name"]), float(low[column]), str(high["group_name"]), float(high[column])


def check_four_fifths(parity_rows: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                      ratio_min: float) -> CheckResult:
    """Per attribute, min / max selection rate over unsuppressed groups must be >= ratio_min.

    parity_rows: attribute, group_name, selection_rate, is_suppressed (as metrics.group_metrics
    plus an attribute). Fails closed when no attribute has two unsuppressed groups.
    """
    frame = _kept_rows(parity_rows)
    failures, worst = [], None
    for attribute, rows in frame.groupby("attribute", sort=True) if len(frame) else []:
        extremes = _extremes(rows, "selection_rate")
        if extremes is None:
            continue
        low_name, low, high_name, high = extremes
        ratio = 1.0 if high == 0 else low / high
        groups = f"{low_name} {low:.2f} vs {high_name} {high:.2f}"
        sentence = f"{attribute}: ratio {ratio:.2f} ({groups})"
        if worst is None or ratio < worst[0]:
            worst = (ratio, sentence)
        if ratio < ratio_min:
            failures.append(f"four-fifths rule failed for {attribute}: ratio {ratio:.2f} < "
                            f"{ratio_min:.2f} ({groups})")
    if worst is None:
        return CheckResult("four_fifths", False, None, ratio_min,
                           "four-fifths rule not assessable: no attribute has two groups above "
                           "the minimum group size")
    if failures:
        return CheckResult("four_fifths", False, worst[0], ratio_min, "; ".join(failures))
    return CheckResult("four_fifths", True, worst[0], ratio_min,
                       f"four-fifths rule holds (lowest {worst[1]} >= {ratio_min:.2f})")


def check_equalized_odds(parity_rows: pd.DataFrame | Iterable[Mapping[str, Any]], *,
                         bound: float) -> CheckResult:
    """Per attribute, max(TPR max-min, FPR max-min) over unsuppressed groups must be <= bound.

    parity_rows: attribute, group_name, true_positive_rate, false_positive_rate, is_suppressed.
    Fails closed when no attribute has two unsuppressed groups with a rate.
    """
    frame = _kept_rows(parity_rows)
    failures, worst = [], None
    for attribute, rows in frame.groupby("attribute", sort=True) if len(frame) else []:
        spreads = []
        for column, label in (("true_positive_rate", "TPR"), ("false_positive_rate", "FPR")):
            extremes = _extremes(rows, column)
            if extremes is not None:
                low_name, low, high_name, high = extremes
                spreads.append((high - low, f"{label} {low_name} {low:.2f} vs {high_name} "
                                            f"{high:.2f}"))
        if not spreads:
            continue
        difference, sentence = max(spreads, key=lambda s: s[0])
        if worst is None or difference > worst[0]:
            worst = (difference, f"{attribute}: difference {difference:.2f} ({sentence})")
        if difference > bound:
            failures.append(f"equalized odds failed for {attribute}: difference {difference:.2f} "
                            f"> {bound:.2f} ({sentence})")
    if worst is None:
        return CheckResult("equalized_odds", False, None, bound,
                           "equalized odds not assessable: no attribute has two labelled groups "
                           "above the minimum group size")
    if failures:
        return CheckResult("equalized_odds", False, worst[0], bound, "; ".join(failures))
    return CheckResult("equalized_odds", True, worst[0], bound,
                       f"equalized odds holds (largest {worst[1]} <= {bound:.2f})")


def check_sensitive_importance(candidate_share: float, production_share: float | None, *,
                               share_max: float, jump_max: float) -> CheckResult:
    """Sensitive features' SHAP share must be <= share_max and rise <= jump_max over production."""
    problems = []
    if candidate_share > share_max:
        problems.append(f"sensitive features carry {candidate_share:.1%} of SHAP importance > "
                        f"{share_max:.1%}")
    if production_share is not None and candidate_share - production_share > jump_max:
        problems.append(f"sensitive features' SHAP share rose from {production_share:.1%} to "
                        f"{candidate_share:.1%} (+{candidate_share - production_share:.1%} > "
                        f"{jump_max:.1%})")
    if problems:
        return CheckResult("sensitive_importance", False, candidate_share, share_max,
                           "; ".join(problems))
    baseline = "" if production_share is None else f", production {production_share:.1%}"
    return CheckResult("sensitive_importance", True, candidate_share, share_max,
                       f"sensitive features carry {candidate_share:.1%} of SHAP importance "
                       f"(max {share_max:.1%}{baseline})")


def check_validation_auc_floor(validation_auc: float | None, *, floor: float) -> CheckResult:
    """The candidate's validation AUC must be known and >= floor."""
    if validation_auc is None:
        return CheckResult("validation_auc_floor", False, None, floor,
                           "validation AUC unknown (validation set had one class)")
    passed = validation_auc >= floor
    sign = ">=" if passed else "<"
    return CheckResult("validation_auc_floor", passed, validation_auc, floor,
                       f"validation AUC {validation_auc:.3f} {sign} floor {floor:.3f}")


def decide_promotion(candidate_auc: float | None, production_auc: float | None,
                     checks: Sequence[CheckResult | Exception],
                     thresholds: GateThresholds) -> PromotionDecision:
    """Blocked if any check failed or errored (or none ran); else skipped unless candidate AUC >=
    production AUC + promotion_delta; else promoted (no production: first fair candidate wins)."""
    results = [c for c in checks if isinstance(c, CheckResult)]
    errors = [f"check errored: {type(c).__name__}: {c}" for c in checks
              if not isinstance(c, CheckResult)]
    delta = (None if candidate_auc is None or production_auc is None
             else candidate_auc - production_auc)

    def verdict(decision: Decision, reasons: list[str]) -> PromotionDecision:
        return PromotionDecision(decision, reasons, delta, candidate_auc, production_auc,
                                 thresholds.promotion_delta, results, errors)

    blocking = [c.detail for c in results if not c.passed] + errors
    if not checks:
        blocking.append("no gate checks were run")
    if candidate_auc is None:
        blocking.append("candidate AUC unknown")
    if blocking:
        return verdict("blocked", blocking)
    if production_auc is None:
        return verdict("promoted", [f"no production model: candidate AUC {candidate_auc:.3f} "
                                    f"passed all {len(results)} gate checks"])
    if delta < thresholds.promotion_delta - AUC_TOLERANCE:
        return verdict("skipped", [f"candidate AUC {candidate_auc:.3f} does not beat production "
                                   f"{production_auc:.3f} by {thresholds.promotion_delta:.3f} "
                                   f"(delta {delta:+.3f})"])
    return verdict("promoted", [f"candidate AUC {candidate_auc:.3f} beats production "
                                f"{production_auc:.3f} by {delta:+.3f} >= "
                                f"{thresholds.promotion_delta:.3f} and passed all {len(results)} "
                                f"gate checks"])
