"""The bootstrap's engine-level pieces (macros/stats/bootstrap.sql) compiled by dbt and run on
DuckDB and PostgreSQL: the Poisson(1) inverse CDF on hand-worked uniforms and against scipy, and
md5_integer against Python's hashlib."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import sqlalchemy as sa
from conftest import make_config
from scipy import stats

from orchestration.dbt_runner import DbtError, run_dbt

# u → k: P(X <= k) = e^-1 sum_{j<=k} 1/j! is 0.367879, 0.735759, 0.919699, 0.981012, 0.996340,
# 0.999406, 0.999917, ..., 0.9999999899 (k = 10), 0.9999999992 (k = 11); k is the smallest with
# P(X <= k) > u
HAND_WORKED = [(0.0, 0), (0.3678, 0), (0.3679, 1), (0.7357, 1), (0.7358, 2), (0.9196, 2),
               (0.9197, 3), (0.981, 3), (0.9811, 4), (0.9963, 4), (0.99635, 5), (0.9995, 6),
               (0.99999999, 11), (0.9999999995, 12)]
WORDS = ["a", "vigie", "p-01-00042|17|20261202"]


@pytest.fixture(scope="module",
                params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def run_inline(request, tmp_path_factory):
    """Compile an inline query with the project's macros on the target and run it."""
    tmp = tmp_path_factory.mktemp(f"bootstrap_{request.param}")
    config, drop = make_config(request.param, tmp)
    engine = sa.create_engine(config.url(), poolclass=sa.pool.NullPool)

    def run(sql: str) -> list[tuple]:
        proc = run_dbt(["compile", "--quiet", "--inline", sql], config,
                       target_path=str(tmp / "dbt_target"), capture=True)
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(proc.stdout.strip()))]

    yield run
    engine.dispose()
    drop()


def values(column: str, items: list) -> str:
    rows = ", ".join(f"({v!r})" for v in items)  # repr quotes text as SQL does
    return f"(values {rows}) as t({column})"


def test_poisson_inverse_cdf_on_hand_worked_uniforms(run_inline):
    us = [u for u, _ in HAND_WORKED]
    rows = run_inline("select u, {{ vigie.poisson_one_inverse_cdf('u') }} as k from "
                      + values("u", us) + " order by u")
    assert [int(k) for _, k in rows] == [k for _, k in HAND_WORKED]


def test_poisson_inverse_cdf_equals_scipy_ppf(run_inline):
    us = np.random.default_rng(4).random(400).round(12).tolist()
    rows = run_inline("select u, {{ vigie.poisson_one_inverse_cdf('u') }} as k from "
                      + values("u", us) + " order by u")
    got = np.array([k for _, k in rows])
    expected = stats.poisson(1).ppf(np.sort(us))  # smallest k with CDF(k) >= u (u never = CDF)
    np.testing.assert_array_equal(got, expected)


def test_standard_normal_quantile_equals_scipy_ppf(run_inline):
    # both tails (u < 0.02425, u > 0.97575) and the centre; Acklam's relative error < 1.15e-9
    us = sorted(np.random.default_rng(5).random(300).round(12).tolist()
                + [1e-9, 1e-4, 0.0242, 0.0243, 0.5, 0.9757, 0.9758, 1 - 1e-9])
    rows = run_inline("select u, {{ vigie.standard_normal_quantile('u') }} as z from "
                      + values("u", us) + " order by u")
    got = np.array([float(z) for _, z in rows])
    np.testing.assert_allclose(got, stats.norm.ppf(us), rtol=2e-9, atol=1e-12)


@pytest.mark.parametrize("mean", [101, 400, 5_000, 200_000])
def test_poisson_normal_quantile_is_scipy_ppf_but_rarely_one_count_off(run_inline, mean):
    us = np.random.default_rng(mean).random(2_000).round(12)
    rows = run_inline(f"select u, {{{{ vigie.poisson_normal_quantile('{mean}', "
                      "vigie.standard_normal_quantile('u')) }} as k from "
                      + values("u", us.tolist()) + " order by u")
    got = np.array([float(k) for _, k in rows])
    expected = stats.poisson(mean).ppf(np.sort(us))
    assert np.abs(got - expected).max() <= 1
    assert np.mean(got != expected) < 0.01  # 0.4 % at mean 100 (the share falls with the mean)


def test_whole_cells_resample_like_their_rows(run_inline, monkeypatch):
    """One cell of 400 rows drawn whole against the same cell weighted row by row: per
    resample a Poisson(400) count either way, so over 1,000 resamples the two samples have
    the same mean (400, SE 0.63 each) and variance, and a Kolmogorov-Smirnov test cannot tell
    them apart; a weight that ignored the Poisson spread (say, always 400) would fail."""
    rows = ("(select 'p' || cast(i as varchar(16)) as prediction_id, "
            "date '2030-01-01' as day, 'sex' as attribute, 'female' as group_name, "
            "true as is_favorable_decision, true as is_favorable_outcome "
            "from generate_series(1, 400) as s(i))")
    settings = SETTINGS.replace("200.0", "1000.0")
    monkeypatch.delenv("VIGIE_BOOTSTRAP_RESAMPLES", raising=False)  # the seed's 1,000, here
    sums = {}
    for name, above in (("rows", "none"), ("cells", "100")):
        sql = ("{% set rows %}" + rows + "{% endset %}{% set settings %}" + settings
               + "{% endset %}select resample_index, n_predictions, n_true_favorable from ("
               "{{ vigie.bootstrap_resample_sums(rows, ['day'], thresholds=settings, "
               f"whole_cells_above={above}) }}}}) as r order by resample_index")
        result = np.array([(int(n), int(t)) for _, n, t in run_inline(sql)])
        assert len(result) == 1000
        assert (result[:, 0] == result[:, 1]).all()  # every row of the cell counts in both sums
        sums[name] = result[:, 0]
    for sample in sums.values():
        assert abs(sample.mean() - 400) < 4 * np.sqrt(400 / 1000)
        assert 0.8 < sample.var(ddof=1) / 400 < 1.2
    assert stats.ks_2samp(sums["rows"], sums["cells"]).pvalue > 0.001


def test_md5_integer_is_the_first_32_bits_of_md5(run_inline):
    sql = ("select w, {{ vigie.md5_integer('w') }} as h from "
           + values("w", [w.replace("'", "''") for w in WORDS]) + " order by w")
    rows = dict(run_inline(sql))
    for word in WORDS:
        assert int(rows[word]) == int(hashlib.md5(word.encode()).hexdigest()[:8], 16)


SETTINGS = ("(values ('bootstrap_resamples', 200.0), ('bootstrap_seed', 7.0)) "
            "as thresholds(threshold_name, threshold_value)")


@pytest.mark.parametrize("override,expected", [("", 200), ("25", 25), (" 1000 ", 1000)])
def test_resample_count_is_the_seed_unless_the_environment_sets_one(run_inline, monkeypatch,
                                                                    override, expected):
    monkeypatch.setenv("VIGIE_BOOTSTRAP_RESAMPLES", override)
    rows = run_inline("select {{ vigie.bootstrap_resamples() }} as n from " + SETTINGS)
    assert [int(n) for (n,) in rows] == [expected]


@pytest.mark.parametrize("override", ["0", "1001", "twenty", "2.5"])
def test_a_resample_count_out_of_range_is_refused(run_inline, monkeypatch, capsys, override):
    monkeypatch.setenv("VIGIE_BOOTSTRAP_RESAMPLES", override)
    with pytest.raises(DbtError):
        run_inline("select {{ vigie.bootstrap_resamples() }} as n from " + SETTINGS)
    assert ("VIGIE_BOOTSTRAP_RESAMPLES must be a whole number from 1 to 1000, got "
            f"'{override}'") in capsys.readouterr().err
