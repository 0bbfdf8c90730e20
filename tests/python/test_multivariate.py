"""models_ml.multivariate and the `correlation` scenario: the domain classifier's out-of-fold
AUC (scikit-learn's roc_auc_score on its scores) stays in NannyML's 0.45-0.65 band when both
samples come from one distribution and leaves it when a correlation flips, while each feature's
own distribution, and so every univariate test, stays the same."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from models_ml.multivariate import FOLDS, domain_classifier, sample_rows
from models_ml.scenarios import against


def correlated(n: int, rng: np.random.Generator) -> pd.DataFrame:
    duration = rng.integers(4, 72, n)
    return pd.DataFrame({"duration": duration,
                         "credit_amount": duration * 150 + rng.normal(0, 800, n),
                         "purpose": rng.choice(["car", "radio/TV", "business"], n)},
                        index=[f"r{i}" for i in range(n)])


def auc(result) -> float:
    return roc_auc_score(result.scores["side"] == "current", result.scores["score"])


def test_against_keeps_the_values_and_reverses_the_correlation():
    rng = np.random.default_rng(1)
    frame = correlated(500, rng)
    flipped = against(frame["credit_amount"].to_numpy(), frame["duration"].to_numpy())
    np.testing.assert_array_equal(np.sort(flipped), np.sort(frame["credit_amount"]))
    assert stats.spearmanr(frame["duration"], frame["credit_amount"]).statistic > 0.8
    assert stats.spearmanr(frame["duration"], flipped).statistic < -0.95


def test_one_distribution_stays_in_the_band_and_a_flipped_correlation_leaves_it():
    rng = np.random.default_rng(2)
    reference, same = correlated(1000, rng), correlated(1000, rng)
    same.index = [f"c{i}" for i in range(len(same))]
    quiet = domain_classifier(reference, same, ["purpose"], seed=3)
    assert 0.45 <= auc(quiet) <= 0.65
    flipped = same.assign(credit_amount=against(same["credit_amount"].to_numpy(),
                                                same["duration"].to_numpy()))
    # each column alone: KS sees no difference between the days
    assert stats.ks_2samp(same["credit_amount"], flipped["credit_amount"]).pvalue == 1.0
    moved = domain_classifier(reference, flipped, ["purpose"], seed=3)
    assert auc(moved) > 0.9
    leans = moved.importance.set_index("feature_name")["gain_share"]
    assert leans.sum() == pytest.approx(1.0)
    assert leans[["duration", "credit_amount"]].sum() > 0.8


def test_scores_are_out_of_fold_and_reproducible():
    rng = np.random.default_rng(4)
    reference, current = correlated(200, rng), correlated(150, rng)
    current.index = [f"c{i}" for i in range(len(current))]
    first = domain_classifier(reference, current, ["purpose"], seed=5)
    again = domain_classifier(reference, current, ["purpose"], seed=5)
    pd.testing.assert_frame_equal(first.scores, again.scores)
    assert len(first.scores) == 350 and first.scores["row_id"].is_unique
    assert set(first.scores["fold"]) == set(range(5))
    assert first.scores["score"].between(0, 1).all()


def test_too_few_rows_and_sampling():
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match="at least 5"):
        domain_classifier(correlated(3, rng), correlated(100, rng), ["purpose"])
    frame = correlated(100, rng)
    assert len(sample_rows(frame, 30, seed=1)) == 30
    assert sample_rows(frame, 30, seed=1).index.equals(sample_rows(frame, 30, seed=1).index)
    assert sample_rows(frame, 500, seed=1) is frame


def test_run_seeds_leave_room_for_every_fold_below_int32():
    # crc32 reaches 2**32 - 1; LightGBM takes seed + fold as an int32 and pandas seed + 1 as a
    # uint32, so a raw crc32 could fail a day as if it had too few rows.
    from collections import namedtuple

    from orchestration.assets.multivariate import RUN_KEY, run_seed

    Run = namedtuple("Run", RUN_KEY)
    seeds = [run_seed(Run(f"2026-01-{day:02d}", "credit_risk", f"v{v}", "k", n))
             for day in range(1, 29) for v in range(1, 8) for n in (100, 101, 5000)]
    assert max(seeds) + FOLDS < 2**31 - 1 and min(seeds) >= 0
    assert len(set(seeds)) > 0.99 * len(seeds)
