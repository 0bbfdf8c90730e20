"""Drift statistics against scipy.stats, plus hand-worked PSI and status-band edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from models_ml.drift import (
    NULL_CATEGORY,
    categorical_psi,
    chi_square_test,
    drift_status,
    is_drifted,
    ks_drift_by_feature,
    ks_test,
    psi,
    psi_bin_edges,
    psi_bin_index,
)


def test_ks_hand_cases():
    # [0] vs [1]: the two ECDFs differ by 1 on [0, 1).
    assert ks_test(np.array([0.0]), np.array([1.0])).statistic == 1.0
    same = ks_test(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 1.0]))
    assert same.statistic == 0.0
    assert same.pvalue == 1.0


def test_ks_drops_nan_and_handles_empty():
    result = ks_test(np.array([1.0, np.nan, 2.0]), np.array([np.nan, 5.0]))
    assert (result.n_reference, result.n_current) == (2, 1)
    expected = stats.ks_2samp([1.0, 2.0], [5.0])
    assert result.statistic == expected.statistic
    assert result.pvalue == expected.pvalue
    empty = ks_test(np.array([np.nan]), np.array([1.0, 2.0]))
    assert empty.statistic is None and empty.pvalue is None
    assert (empty.n_reference, empty.n_current) == (0, 2)


@pytest.mark.parametrize("seed", range(5))
def test_ks_matches_scipy_on_random_data(seed):
    rng = np.random.default_rng(seed)
    reference = rng.normal(0, 1, 400)
    current = rng.normal(0.2 * seed, 1 + 0.1 * seed, 250).round(1)  # rounding creates ties
    expected = stats.ks_2samp(reference, current)
    result = ks_test(reference, current)
    np.testing.assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    np.testing.assert_allclose(result.pvalue, expected.pvalue, rtol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    categories = ["a", "b", "c", "d"]
    reference = dict(zip(categories, rng.integers(5, 200, 4).tolist(), strict=True))
    current = dict(zip(categories, rng.integers(5, 200, 4).tolist(), strict=True))
    table = np.array([[reference[c] for c in categories], [current[c] for c in categories]])
    expected = stats.chi2_contingency(table, correction=False)
    result = chi_square_test(reference, current)
    np.testing.assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    np.testing.assert_allclose(result.pvalue, expected.pvalue, rtol=1e-12)
    assert result.dof == expected.dof == 3
    np.testing.assert_allclose(
        result.cramers_v,
        stats.contingency.association(table, method="cramer", correction=False), rtol=1e-12)


def test_chi_square_union_of_categories_and_zero_columns_dropped():
    reference = {"a": 10, "b": 5, "gone": 0, None: 3}
    current = {"a": 4, "new": 6, "gone": 0}
    result = chi_square_test(reference, current)
    assert result.categories == tuple(sorted(["a", "b", "new", NULL_CATEGORY]))
    table = np.array([[10, 5, 0, 3], [4, 0, 6, 0]])  # columns a, b, new, __null__
    table = table[:, np.argsort(["a", "b", "new", NULL_CATEGORY])]
    expected = stats.chi2_contingency(table, correction=False)
    np.testing.assert_allclose(result.statistic, expected.statistic, rtol=1e-12)
    np.testing.assert_allclose(result.pvalue, expected.pvalue, rtol=1e-12)


def test_chi_square_degenerate_tables():
    single = chi_square_test({"a": 5}, {"a": 9})
    assert (single.statistic, single.pvalue, single.cramers_v) == (0.0, 1.0, 0.0)
    empty = chi_square_test({"a": 5}, {})
    assert empty.statistic is None and empty.pvalue is None and empty.n_current == 0


def test_chi_square_with_yates_correction_matches_scipy():
    reference, current = {"a": 30, "b": 12}, {"a": 18, "b": 25}
    expected = stats.chi2_contingency(np.array([[30, 12], [18, 25]]), correction=True)
    result = chi_square_test(reference, current, correction=True)
    np.testing.assert_allclose(result.statistic, expected.statistic, rtol=1e-12)


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


def test_is_drifted_needs_both_conditions():
    assert is_drifted(0.2, 0.001, alpha=0.01, effect_size=0.1)
    assert is_drifted(0.1, 0.0099, alpha=0.01, effect_size=0.1)  # statistic == effect size
    assert not is_drifted(0.2, 0.01, alpha=0.01, effect_size=0.1)  # p == alpha is not below
    assert not is_drifted(0.05, 1e-30, alpha=0.01, effect_size=0.1)
    assert not is_drifted(None, None, alpha=0.01, effect_size=0.1)


@pytest.mark.parametrize(("share", "status"), [
    (0.0, "ok"), (0.0999, "ok"), (0.1, "warning"), (0.2999, "warning"), (0.3, "alert"),
    (1.0, "alert"),
])
def test_drift_status_bands(share, status):
    assert drift_status(share, warning=0.1, alert=0.3) == status


def test_drift_status_rejects_inverted_bands():
    with pytest.raises(ValueError, match="warning <= alert"):
        drift_status(0.2, warning=0.3, alert=0.1)


def test_ks_drift_by_feature_frame():
    rng = np.random.default_rng(3)
    reference = {"age": rng.normal(40, 10, 500), "amount": rng.normal(3000, 800, 500)}
    current = {"age": rng.normal(55, 10, 300), "amount": rng.normal(3000, 800, 300)}
    frame = ks_drift_by_feature(reference, current, alpha=0.01, effect_size=0.1)
    assert frame["feature_name"].tolist() == ["age", "amount"]
    for row in frame.itertuples():
        expected = stats.ks_2samp(reference[row.feature_name], current[row.feature_name])
        np.testing.assert_allclose(row.ks_statistic, expected.statistic, rtol=1e-12)
        np.testing.assert_allclose(row.ks_pvalue, expected.pvalue, rtol=1e-12)
        assert row.psi == pytest.approx(psi(reference[row.feature_name],
                                            current[row.feature_name]))
    assert frame["is_drifted"].tolist() == [True, False]
