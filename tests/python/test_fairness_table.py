"""docs/fairness-seeds.md from hand-made seed results: what counts as blocked for fairness, a
failure "with its interval" only when the whole interval is past the bound, and the counts."""

from __future__ import annotations

import json

from bench.fairness_table import blocked_for_fairness, fails_with_interval, write_table


def check(observed, low, high, bound, passed, production=None, production_passed=None):
    return {"observed": observed, "ci_low": low, "ci_high": high, "bound": bound,
            "passed": passed, "production_observed": production,
            "production_passed": production_passed}


def candidate(version, method, decision, four_fifths, odds, share=0.05, **extra):
    return {"candidate_version": version, "training_method": method, "decision": decision,
            "candidate_auc": 0.7, "production_auc": 0.66, "auc_delta": 0.04,
            "four_fifths": four_fifths, "equalized_odds": odds,
            "sensitive_importance": check(share, None, None, 0.25, share <= 0.25), **extra}


CLEAR = candidate("v2", "naive", "blocked", check(0.55, 0.5, 0.6, 0.8, False, 0.7, False),
                  check(0.3, 0.2, 0.4, 0.1, False))
MARGINAL = candidate("v2", "naive", "blocked", check(0.78, 0.7, 0.86, 0.8, False),
                     check(0.08, 0.04, 0.12, 0.1, True))
FAIR = candidate("v3", "mitigated", "skipped", check(0.9, 0.85, 0.95, 0.8, True),
                 check(0.05, 0.02, 0.09, 0.1, True))


def test_a_failure_counts_with_its_interval_only_when_the_interval_is_past_the_bound():
    assert blocked_for_fairness(CLEAR) and fails_with_interval(CLEAR)
    assert blocked_for_fairness(MARGINAL) and not fails_with_interval(MARGINAL)
    assert not blocked_for_fairness(FAIR) and not fails_with_interval(FAIR)
    # blocked on the AUC floor alone: not a fairness block
    assert not blocked_for_fairness({**FAIR, "decision": "blocked"})
    odds_only = {**CLEAR, "four_fifths": check(0.9, 0.85, 0.95, 0.8, True)}
    assert fails_with_interval(odds_only)
    no_interval = {**CLEAR, "four_fifths": check(0.5, None, None, 0.8, False),
                   "equalized_odds": check(0.3, None, None, 0.1, False)}
    assert blocked_for_fairness(no_interval) and not fails_with_interval(no_interval)


def test_the_page_counts_the_targets_per_scenario(tmp_path):
    results = [
        {"scenario": "migration", "days": 40, "per_day": 1500, "seed": 1, "seconds": 10,
         "candidates": [CLEAR, FAIR]},
        {"scenario": "migration", "days": 40, "per_day": 1500, "seed": 2, "seconds": 30,
         "candidates": [MARGINAL]},
        {"scenario": "clean", "days": 60, "per_day": 1000, "seed": 1, "seconds": 20,
         "candidates": [{**FAIR, "training_method": "naive", "decision": "promoted"}]},
        {"scenario": "clean", "days": 60, "per_day": 1000, "seed": 2, "seconds": 20,
         "candidates": [MARGINAL]},
    ]
    paths = []
    for i, result in enumerate(results):
        paths.append(tmp_path / f"{i}.json")
        paths[-1].write_text(json.dumps(result))
    write_table(paths, tmp_path / "page.md")
    page = (tmp_path / "page.md").read_text()
    assert page.index("## migration, 40 days × 1,500") < page.index("## clean, 60 days × 1,000")
    assert ("naive candidate blocked for fairness in 2 of 2 seeds; failing with its whole "
            "interval past the bound in 1 of 2. Mitigated candidates: promoted 0, skipped 1, "
            "blocked 0. Median 30 s per seed.") in page
    assert ("no candidate blocked for fairness in 1 of 2 seeds (naive candidates: promoted 1, "
            "skipped 0, blocked 1).") in page
    assert ("| 1 | v2 | naive | 0.700 | 0.660 | 0.040 | 0.550 [0.500, 0.600] ✗ "
            "| 0.300 [0.200, 0.400] ✗ | 0.050 | 0.700 ✗, n/a | blocked "
            "| four_fifths, equalized_odds |") in page
