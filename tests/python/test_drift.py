"""Drift statistics checked against hand-worked values and independent implementations (an
ECDF sup-distance for KS, the Kolmogorov limit distribution for large-sample p-values, the
expected-count formula and the regularised incomplete gamma for chi-square, the area between
the two ECDFs for Wasserstein), plus PSI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from models_ml.drift import (
    NULL_CATEGORY,
    categorical_psi,
    chi_square_test,
    ks_test,
    psi,
    psi_bin_edges,
    psi_bin_index,
    wasserstein_test,
)


def ecdf_distance(a: np.ndarray, b: np.ndarray) -> float:
    """sup |F_a - F_b| over the pooled sample, the ECDFs right-continuous (the KS statistic)."""
    points = np.concatenate([a, b])
    f_a = np.searchsorted(np.sort(a), points, side="right") / a.size
    f_b = np.searchsorted(np.sort(b), points, side="right") / b.size
    return float(np.max(np.abs(f_a - f_b)))


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution: 2 sum_k (-1)^(k-1) exp(-2 k^2 x^2)."""
    return float(2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * x * x) for k in range(1, 200)))


def test_ks_hand_cases():
    # [0] vs [1]: the two ECDFs differ by 1 on [0, 1); any two distinct points give D = 1, so
    # the exact two-sided p-value is 1.
    one = ks_test(np.array([0.0]), np.array([1.0]))
    assert (one.statistic, one.pvalue) == (1.0, 1.0)
    # [1, 2] vs [3, 4]: D = 1; of the C(4, 2) = 6 equally likely orderings of the pooled
    # ranks, 2 (all x first, all y first) reach D = 1 -> p = 2 / 6.
    two = ks_test(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert two.statistic == 1.0 and two.pvalue == pytest.approx(1 / 3, rel=1e-12)
    # three against three, separated: p = 2 / C(6, 3) = 2 / 20
    three = ks_test(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert three.pvalue == pytest.approx(0.1, rel=1e-12)
    # identical samples: D = 0, p = 1
    same = ks_test(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))
    assert (same.statistic, same.pvalue) == (0.0, 1.0)
    # [1, 2, 3, 4] vs [3, 4, 5, 6]: F_x(2) = 0.5, F_y(2) = 0 -> D = 0.5 (ties at 3 and 4)
    assert ks_test(np.arange(1.0, 5.0), np.arange(3.0, 7.0)).statistic == 0.5


def test_ks_drops_nan_and_handles_empty():
    result = ks_test(np.array([1.0, np.nan, 2.0]), np.array([np.nan, 5.0]))
    assert (result.n_reference, result.n_current) == (2, 1)
    # [1, 2] vs [5]: D = 1; orderings of 3 pooled ranks with the single y first or last: 2 / 3
    assert result.statistic == 1.0 and result.pvalue == pytest.approx(2 / 3, rel=1e-12)
    empty = ks_test(np.array([np.nan]), np.array([1.0, 2.0]))
    assert empty.statistic is None and empty.pvalue is None
    assert (empty.n_reference, empty.n_current) == (0, 2)


@pytest.mark.parametrize("seed", range(5))
def test_ks_statistic_is_the_ecdf_distance(seed):
    rng = np.random.default_rng(seed)
    reference = rng.normal(0, 1, 400)
    current = rng.normal(0.2 * seed, 1 + 0.1 * seed, 250).round(1)  # rounding creates ties
    result = ks_test(reference, current)
    assert result.statistic == pytest.approx(ecdf_distance(reference, current), abs=1e-15)


@pytest.mark.parametrize("shift", [0.02, 0.05, 0.08])
def test_ks_large_sample_pvalue_follows_the_kolmogorov_limit(shift):
    # With n = m = 3000, sqrt(n m / (n + m)) D is Kolmogorov-distributed up to O(1/sqrt(n)):
    # the p-value must agree with the limit to a few percent (a one-sided or swapped p-value
    # would not).
    rng = np.random.default_rng(11)
    reference, current = rng.normal(0, 1, 3000), rng.normal(shift, 1, 3000)
    result = ks_test(reference, current)
    limit = kolmogorov_sf(math.sqrt(3000 * 3000 / 6000) * result.statistic)
    assert result.pvalue == pytest.approx(limit, rel=0.05, abs=1e-4)


def test_chi_square_hand_case():
    # table [[10, 10], [20, 0]]: N = 40, column totals 30 and 10, row totals 20 and 20, so the
    # expected counts are 15 and 5 in each row. chi2 = 2 * (25 / 15 + 25 / 5) = 40 / 3,
    # dof 1, p = erfc(sqrt(chi2 / 2)), Cramér's V = sqrt(chi2 / (40 * 1)) = sqrt(1 / 3).
    result = chi_square_test({"a": 10, "b": 10}, {"a": 20, "b": 0})
    assert result.statistic == pytest.approx(40 / 3, rel=1e-12)
    assert result.dof == 1
    assert result.pvalue == pytest.approx(math.erfc(math.sqrt(20 / 3)), rel=1e-9)
    assert result.cramers_v == pytest.approx(math.sqrt(1 / 3), rel=1e-12)


def chi_square_by_formula(table: np.ndarray) -> tuple[float, float, float, int]:
    """sum (O - E)^2 / E with E = row total × column total / N; p = Q(dof / 2, chi2 / 2)."""
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    v = math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))
    return chi2, float(special.gammaincc(dof / 2, chi2 / 2)), v, dof


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_equals_the_formula_on_random_tables(seed):
    rng = np.random.default_rng(seed)
    categories = ["a", "b", "c", "d"]
    reference = dict(zip(categories, rng.integers(5, 200, 4).tolist(), strict=True))
    current = dict(zip(categories, rng.integers(5, 200, 4).tolist(), strict=True))
    table = np.array([[reference[c] for c in categories], [current[c] for c in categories]],
                     dtype=float)
    chi2, pvalue, v, dof = chi_square_by_formula(table)
    result = chi_square_test(reference, current)
    assert result.statistic == pytest.approx(chi2, rel=1e-12)
    assert result.pvalue == pytest.approx(pvalue, rel=1e-9, abs=1e-300)
    assert result.cramers_v == pytest.approx(v, rel=1e-12)
    assert result.dof == dof == 3


def test_chi_square_union_of_categories_and_zero_columns_dropped():
    reference = {"a": 10, "b": 5, "gone": 0, None: 3}
    current = {"a": 4, "new": 6, "gone": 0}
    result = chi_square_test(reference, current)
    assert result.categories == tuple(sorted(["a", "b", "new", NULL_CATEGORY]))
    # columns __null__, a, b, new (sorted); "gone" is zero on both sides and dropped
    table = np.array([[3, 10, 5, 0], [0, 4, 0, 6]], dtype=float)
    chi2, pvalue, _, dof = chi_square_by_formula(table)
    assert result.statistic == pytest.approx(chi2, rel=1e-12)
    assert result.pvalue == pytest.approx(pvalue, rel=1e-9)
    assert result.dof == dof == 3


def test_chi_square_degenerate_tables():
    single = chi_square_test({"a": 5}, {"a": 9})
    assert (single.statistic, single.pvalue, single.cramers_v) == (0.0, 1.0, 0.0)
    empty = chi_square_test({"a": 5}, {})
    assert empty.statistic is None and empty.pvalue is None and empty.n_current == 0


def test_chi_square_with_yates_correction_by_hand():
    # [[30, 12], [18, 25]]: N = 85, expected a = 48 * 42 / 85 and so on; Yates subtracts 0.5
    # from every |O - E| before squaring (dof 1).
    table = np.array([[30, 12], [18, 25]], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / 85
    corrected = float(((np.abs(table - expected) - 0.5) ** 2 / expected).sum())
    result = chi_square_test({"a": 30, "b": 12}, {"a": 18, "b": 25}, correction=True)
    assert result.statistic == pytest.approx(corrected, rel=1e-12)
    assert result.statistic < chi_square_test({"a": 30, "b": 12}, {"a": 18, "b": 25}).statistic


def test_psi_edges_are_linear_quantiles_and_right_closed():
    reference = np.arange(1.0, 21.0)  # 1..20
    edges = psi_bin_edges(reference)
    np.testing.assert_allclose(edges, np.quantile(reference, np.linspace(0.1, 0.9, 9)))
    # q(0.1) of 1..20 with linear interpolation: 1 + 0.1 * 19 = 2.9
    assert edges[0] == pytest.approx(2.9)
    # A value equal to an edge goes to the lower bin: (-inf, e1] is bin 0.
    assert psi_bin_index(np.array([edges[0], edges[0] + 1e-9, -1e9, 1e9]), edges).tolist() == [
        0, 1, 0, 9]


def test_psi_hand_worked_small_case():
    # reference 1..10: edges q(0.1..0.9) = 1.9, 2.8, ..., 9.1 -> one reference value per bin,
    # so every reference share is 0.1. current = [1, 1, 1, 1, 1, 10, 10, 10, 10, 10]:
    # bin 0 (<= 1.9) gets 0.5, bin 9 (> 9.1) gets 0.5, the 8 others 0 -> floored to 1e-4.
    # psi = 2 * (0.5 - 0.1) * ln(0.5 / 0.1) + 8 * (1e-4 - 0.1) * ln(1e-4 / 0.1)
    reference = np.arange(1.0, 11.0)
    current = np.array([1.0] * 5 + [10.0] * 5)
    expected = 2 * 0.4 * np.log(5.0) + 8 * (1e-4 - 0.1) * np.log(1e-3)
    assert psi(reference, current) == pytest.approx(expected, rel=1e-12)


def test_psi_properties():
    rng = np.random.default_rng(7)
    reference = rng.normal(size=2000)
    assert psi(reference, reference) == pytest.approx(0.0, abs=1e-12)
    for shift in (0.0, 0.3, 1.0):
        value = psi(reference, rng.normal(shift, 1.0, 1500))
        assert value >= 0.0
    assert psi(reference, rng.normal(1.0, 1.0, 1500)) > psi(reference, rng.normal(0.3, 1, 1500))
    assert psi(np.array([]), reference) is None


def test_psi_with_constant_reference_collapses_edges():
    # All reference values 5: every edge is 5, deduplicated to one -> bins (-inf, 5], (5, inf).
    # current [4, 5, 6, 7]: shares 0.5 / 0.5 against reference 1.0 / 0 (floored 1e-4).
    expected = (0.5 - 1.0) * np.log(0.5 / 1.0) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    assert psi(np.full(50, 5.0), np.array([4.0, 5.0, 6.0, 7.0])) == pytest.approx(expected)


def test_categorical_psi_hand_case_with_null_bin():
    # reference a 50, b 50; current a 25, b 25, null 50 -> shares (0.25, 0.25, 0.5) vs
    # (0.5, 0.5, 1e-4 floor): psi = 2 * (0.25 - 0.5) ln(0.5) + (0.5 - 1e-4) ln(0.5 / 1e-4)
    expected = 2 * (-0.25) * np.log(0.5) + (0.5 - 1e-4) * np.log(0.5 / 1e-4)
    result = categorical_psi({"a": 50, "b": 50}, {"a": 25, "b": 25, None: 50})
    assert result == pytest.approx(expected, rel=1e-12)
    assert categorical_psi({"a": 3, "b": 1}, {"b": 2, "a": 6}) == pytest.approx(0.0, abs=1e-15)


def test_wasserstein_hand_cases():
    # [0, 1] vs [1, 2]: every quantile moves by 1 -> W = 1; the reference's population std is
    # 0.5 -> normalised 2
    shifted = wasserstein_test(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    assert (shifted.distance, shifted.normalised) == (1.0, 2.0)
    # [0, 0, 3] vs [0, 3, 3]: the ECDFs differ by 1/3 on [0, 3) -> W = 1; population std of
    # the reference sqrt(2) -> normalised 1 / sqrt(2)
    moved = wasserstein_test(np.array([0.0, 0.0, 3.0]), np.array([0.0, 3.0, 3.0]))
    assert moved.distance == pytest.approx(1.0, rel=1e-12)
    assert moved.normalised == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    # a constant reference: the std floor 0.001 (Evidently's) keeps the ratio finite
    constant = wasserstein_test(np.array([5.0, 5.0]), np.array([5.0, 5.5]))
    assert constant.distance == pytest.approx(0.25) and constant.normalised == pytest.approx(250)
    # NaN dropped; an empty side gives no statistic
    assert wasserstein_test(np.array([np.nan, 1.0]), np.array([1.0])).distance == 0.0
    empty = wasserstein_test(np.array([1.0]), np.array([np.nan]))
    assert (empty.distance, empty.normalised, empty.n_current) == (None, None, 0)


@pytest.mark.parametrize("seed", range(5))
def test_wasserstein_is_the_area_between_the_ecdfs(seed):
    """W1 = integral |F_ref - F_cur| over the pooled sample's steps, computed here directly."""
    rng = np.random.default_rng(seed)
    ref, cur = rng.normal(0, 2, 80), rng.normal(0.7, 1.5, 55)
    points = np.sort(np.concatenate([ref, cur]))
    f_ref = np.searchsorted(np.sort(ref), points[:-1], side="right") / ref.size
    f_cur = np.searchsorted(np.sort(cur), points[:-1], side="right") / cur.size
    area = float(np.sum(np.abs(f_ref - f_cur) * np.diff(points)))
    result = wasserstein_test(ref, cur)
    assert result.distance == pytest.approx(area, rel=1e-10)
    assert result.normalised == pytest.approx(area / ref.std(), rel=1e-10)
