"""Python references of the gate's SQL, kept only as test oracles (tests/python).

The fairness numbers of marts.group_parity / candidate_parity / candidate_fairness_summary and
the between-group ratios of the promotion gate are defined in dbt (macros/fairness,
models/marts/ml/promotion_gate_checks.sql). These functions recompute them with numpy/pandas so
tests can compare: themselves against fairlearn (test_metrics.py), the SQL against them on
finite, assessable inputs (test_gate_property.py). They say nothing about assessability: a NaN
or a missing group is the SQL's to refuse. bench/ imports them for its gate stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

NULL_GROUP = "__null__"
GROUP_METRIC_COLUMNS = ["group_name", "n_predictions", "n_favorable_decisions", "selection_rate",
                        "n_labeled", "true_positive_rate", "false_positive_rate", "is_suppressed"]
BINARY_VALUES_ERROR = "{name} must hold only 0/1 (or booleans), got values {values}"
LENGTH_MISMATCH_ERROR = "{name} has {n_other} rows but y_true has {n_true}"


def _binary(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype == bool:
        return array.astype(np.int64).ravel()
    array = np.asarray(array, dtype=float).ravel()
    bad = np.unique(array[(array != 0) & (array != 1)])
    if bad.size:
        raise ValueError(BINARY_VALUES_ERROR.format(name=name, values=bad[:5].tolist()))
    return array.astype(np.int64)


def _same_length(y_true: np.ndarray, other: np.ndarray, name: str) -> None:
    if other.shape[0] != y_true.shape[0]:
        raise ValueError(LENGTH_MISMATCH_ERROR.format(name=name, n_other=other.shape[0],
                                                      n_true=y_true.shape[0]))


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator / denominator)


@dataclass(frozen=True)
class FairnessSummary:
    """Between-group fairness over non-suppressed groups, as fairlearn's between_groups method."""

    demographic_parity_difference: float | None
    demographic_parity_ratio: float | None
    equalized_odds_difference: float | None
    n_groups: int
    n_groups_suppressed: int


def selection_rate(y_pred: ArrayLike) -> float | None:
    """Share of favourable decisions (y_pred = 1); None on no rows."""
    p = _binary(y_pred, "y_pred")
    return None if p.size == 0 else float(p.mean())


def true_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float | None:
    """P(y_pred = 1 | y_true = 1); None when no row has y_true = 1."""
    y, p = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    _same_length(y, p, "y_pred")
    return _ratio(float(np.sum(p[y == 1])), int(np.sum(y == 1)))


def false_positive_rate(y_true: ArrayLike, y_pred: ArrayLike) -> float | None:
    """P(y_pred = 1 | y_true = 0); None when no row has y_true = 0."""
    y, p = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    _same_length(y, p, "y_pred")
    return _ratio(float(np.sum(p[y == 0])), int(np.sum(y == 0)))


def _group_keys(groups: ArrayLike) -> pd.Series:
    series = pd.Series(np.asarray(groups, dtype=object))
    return series.where(series.notna(), NULL_GROUP).astype(str)


def group_metrics(y_true_favorable: ArrayLike, y_pred_favorable: ArrayLike, groups: ArrayLike,
                  *, min_group_size: int) -> pd.DataFrame:
    """Per group: predictions, favourable decisions, selection rate, labels, TPR, FPR, suppression.

    y_true_favorable is 1 when the outcome was favourable, 0 when not and None/NaN when no label
    has arrived (those rows count for selection rate only). TPR = P(favourable decision |
    favourable outcome), FPR = P(favourable decision | unfavourable outcome), over labelled rows.
    A group with fewer than min_group_size predictions is flagged is_suppressed.
    """
    labels = pd.Series(np.asarray(y_true_favorable, dtype=object))
    is_labeled = labels.notna().to_numpy()
    y_true = np.zeros(labels.size, dtype=np.int64)
    y_true[is_labeled] = _binary(labels[is_labeled].astype(float).to_numpy(), "y_true_favorable")
    y_pred = _binary(y_pred_favorable, "y_pred_favorable")
    keys = _group_keys(groups)
    _same_length(y_true, y_pred, "y_pred_favorable")
    _same_length(y_true, keys.to_numpy(), "groups")
    rows = []
    for group_name in sorted(keys.unique()):
        member = (keys == group_name).to_numpy()
        labeled = member & is_labeled
        n_predictions = int(member.sum())
        n_favorable = int(y_pred[member].sum())
        rows.append({
            "group_name": group_name,
            "n_predictions": n_predictions,
            "n_favorable_decisions": n_favorable,
            "selection_rate": n_favorable / n_predictions,
            "n_labeled": int(labeled.sum()),
            "true_positive_rate": true_positive_rate(y_true[labeled], y_pred[labeled]),
            "false_positive_rate": false_positive_rate(y_true[labeled], y_pred[labeled]),
            "is_suppressed": n_predictions < min_group_size,
        })
    return pd.DataFrame(rows, columns=GROUP_METRIC_COLUMNS)


def _spread(values: pd.Series) -> float | None:
    present = values.dropna().astype(float)
    return None if present.empty else float(present.max() - present.min())


def summarise_group_metrics(frame: pd.DataFrame) -> FairnessSummary:
    """Demographic parity max-min and min/max of selection rates, equalized odds difference
    max(TPR max-min, FPR max-min), over the rows of group_metrics that are not suppressed."""
    kept = frame[~frame["is_suppressed"].astype(bool)]
    n_suppressed = int(len(frame) - len(kept))
    if kept.empty:
        return FairnessSummary(None, None, None, 0, n_suppressed)
    rates = kept["selection_rate"].astype(float)
    ratio = None if rates.max() == 0 else float(rates.min() / rates.max())
    spreads = [s for s in (_spread(kept["true_positive_rate"]),
                           _spread(kept["false_positive_rate"])) if s is not None]
    return FairnessSummary(
        demographic_parity_difference=float(rates.max() - rates.min()),
        demographic_parity_ratio=ratio,
        equalized_odds_difference=max(spreads) if spreads else None,
        n_groups=len(kept),
        n_groups_suppressed=n_suppressed,
    )


def fairness_summary(y_true_favorable: ArrayLike, y_pred_favorable: ArrayLike,
                     groups: ArrayLike, *, min_group_size: int) -> FairnessSummary:
    """Fairness summary (fairlearn, between_groups) of group_metrics, suppressed groups left out."""
    return summarise_group_metrics(group_metrics(y_true_favorable, y_pred_favorable, groups,
                                                 min_group_size=min_group_size))


@dataclass(frozen=True)
class CheckResult:
    """One gate check: whether it passed, the observed number, its bound and a sentence."""

    name: str
    passed: bool
    observed: float | None
    bound: float
    detail: str


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
        if high == 0:  # every rate 0: the ratio is undefined (fairlearn and SQL: null)
            continue
        ratio = low / high
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


