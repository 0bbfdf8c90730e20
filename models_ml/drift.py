"""Drift statistics: two-sample KS, chi-square with Cramér's V on category counts, the
normalised Wasserstein distance, PSI.

Statistics only: whether a feature drifts, and a day's status band, are decided in SQL
(models/marts/monitoring/feature_drift.sql, drift_summary.sql) from seeds/thresholds.csv.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

PSI_QUANTILES = np.linspace(0.1, 0.9, 9)
PSI_FLOOR = 1e-4
NULL_CATEGORY = "__null__"


@dataclass(frozen=True)
class KsResult:
    """Two-sample Kolmogorov-Smirnov result; statistic and pvalue are None when a side is empty."""

    statistic: float | None
    pvalue: float | None
    n_reference: int
    n_current: int


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square on the 2 x k table of category counts, with Cramer's V as effect size."""

    statistic: float | None
    pvalue: float | None
    cramers_v: float | None
    dof: int
    n_reference: int
    n_current: int
    categories: tuple[str, ...]


def _finite(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[~np.isnan(array)]


def ks_test(reference: np.ndarray, current: np.ndarray) -> KsResult:
    """Two-sample KS sup|F_ref - F_cur| and p-value as scipy.stats.ks_2samp, NaN dropped."""
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return KsResult(None, None, int(ref.size), int(cur.size))
    result = stats.ks_2samp(ref, cur)
    return KsResult(float(result.statistic), float(result.pvalue), int(ref.size), int(cur.size))


@dataclass(frozen=True)
class WassersteinResult:
    """Wasserstein-1 distance between the two samples, and the same divided by the reference's
    population std (floored at WASSERSTEIN_STD_FLOOR); None when a side is empty."""

    distance: float | None
    normalised: float | None
    n_reference: int
    n_current: int


# Evidently's floor of the normalising std: a constant reference gives distance / 0.001.
WASSERSTEIN_STD_FLOOR = 0.001


def wasserstein_test(reference: np.ndarray, current: np.ndarray) -> WassersteinResult:
    """scipy.stats.wasserstein_distance of the two samples (NaN dropped) and that distance over
    max(np.std(reference), 0.001): Evidently's `wasserstein` drift statistic, comparable across
    features of different scales (a distance of 0.1 reference std is its default threshold)."""
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return WassersteinResult(None, None, int(ref.size), int(cur.size))
    distance = float(stats.wasserstein_distance(ref, cur))
    norm = max(float(np.std(ref)), WASSERSTEIN_STD_FLOOR)
    return WassersteinResult(distance, distance / norm, int(ref.size), int(cur.size))


def _category_key(category: object) -> str:
    if category is None or (isinstance(category, float) and np.isnan(category)):
        return NULL_CATEGORY
    return str(category)


def _normalise_counts(counts: Mapping[object, int]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for category, count in counts.items():
        if count < 0:
            raise ValueError(f"category count must be >= 0, got {count} for {category!r}")
        key = _category_key(category)
        merged[key] = merged.get(key, 0) + int(count)
    return merged


def chi_square_test(reference_counts: Mapping[str, int], current_counts: Mapping[str, int],
                    *, correction: bool = False) -> ChiSquareResult:
    """Chi-square independence test of the 2 x k count table, as scipy.stats.chi2_contingency.

    Categories are the union of both sides (None as "__null__"); a category with zero counts
    on both sides is dropped. Cramer's V = sqrt(chi2 / (n * (min(2, k) - 1))). With fewer than
    two categories left the distributions cannot differ: statistic 0, p-value 1, V 0. When a
    side has no rows at all, statistic, pvalue and cramers_v are None.
    """
    ref, cur = _normalise_counts(reference_counts), _normalise_counts(current_counts)
    categories = tuple(sorted(c for c in set(ref) | set(cur) if ref.get(c, 0) + cur.get(c, 0) > 0))
    table = np.array([[ref.get(c, 0) for c in categories],
                      [cur.get(c, 0) for c in categories]], dtype=float)
    n_ref, n_cur = int(table[0].sum()), int(table[1].sum())
    if n_ref == 0 or n_cur == 0:
        return ChiSquareResult(None, None, None, 0, n_ref, n_cur, categories)
    if len(categories) < 2:
        return ChiSquareResult(0.0, 1.0, 0.0, 0, n_ref, n_cur, categories)
    result = stats.chi2_contingency(table, correction=correction)
    statistic = float(result.statistic)
    cramers_v = float(np.sqrt(statistic / (table.sum() * (min(table.shape) - 1))))
    return ChiSquareResult(statistic, float(result.pvalue), cramers_v, int(result.dof),
                           n_ref, n_cur, categories)


def psi_bin_edges(reference: np.ndarray) -> np.ndarray:
    """Interior PSI edges: np.quantile(reference, [0.1, ..., 0.9]) (linear), deduplicated."""
    ref = _finite(reference)
    if ref.size == 0:
        return np.array([], dtype=float)
    return np.unique(np.quantile(ref, PSI_QUANTILES, method="linear"))


def psi_bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value: bins are (-inf, e1], (e1, e2], ..., (e_last, inf) (right-closed)."""
    return np.searchsorted(edges, values, side="left")


def _psi_from_proportions(ref_share: np.ndarray, cur_share: np.ndarray) -> float:
    ref_share = np.maximum(ref_share, PSI_FLOOR)
    cur_share = np.maximum(cur_share, PSI_FLOOR)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def psi(reference: np.ndarray, current: np.ndarray) -> float | None:
    """Population stability index with 10 reference-quantile bins, proportions floored at 1e-4.

    Edges are np.quantile(reference, [0.1..0.9]) with linear interpolation, deduplicated;
    bins are right-closed, (-inf, e1], (e1, e2], ..., (e9, inf): a value equal to an edge goes
    to the lower bin. psi = sum((cur - ref) * ln(cur / ref)) over bins, NaN values dropped;
    None when either side is empty.
    """
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return None
    edges = psi_bin_edges(ref)
    n_bins = edges.size + 1
    ref_share = np.bincount(psi_bin_index(ref, edges), minlength=n_bins) / ref.size
    cur_share = np.bincount(psi_bin_index(cur, edges), minlength=n_bins) / cur.size
    return _psi_from_proportions(ref_share, cur_share)


def categorical_psi(reference_counts: Mapping[str, int],
                    current_counts: Mapping[str, int]) -> float | None:
    """PSI with each category (None as "__null__") its own bin, proportions floored at 1e-4."""
    ref, cur = _normalise_counts(reference_counts), _normalise_counts(current_counts)
    n_ref, n_cur = sum(ref.values()), sum(cur.values())
    if n_ref == 0 or n_cur == 0:
        return None
    categories = sorted(set(ref) | set(cur))
    ref_share = np.array([ref.get(c, 0) for c in categories], dtype=float) / n_ref
    cur_share = np.array([cur.get(c, 0) for c in categories], dtype=float) / n_cur
    return _psi_from_proportions(ref_share, cur_share)
