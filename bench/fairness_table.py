"""docs/fairness-seeds.md from bench/results/fairness/*.json (bench/fairness_seeds.py): per
scenario, size and seed, each candidate's gate numbers, and the issue's targets counted.

Nothing is recomputed: every number is a column the gate marts wrote. A check "fails with its
interval" when its point estimate and its whole interval lie on the failing side of the bound
(four-fifths: interval high end under the bound; equalized odds: low end over it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

FAIRNESS_CHECKS = ("four_fifths", "equalized_odds", "sensitive_importance")
HEADER = ("| seed | candidate | method | AUC | production AUC | delta | four-fifths [95 % CI] "
          "| equalized odds [95 % CI] | sensitive share | production four-fifths, equalized odds "
          "(same rows) | decision | failed fairness checks |")
RULE = "|" + "---|" * 12


def _number(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{float(value):.{digits}f}"


def _with_interval(check: dict | None) -> str:
    if not check:
        return "n/a"
    text = _number(check.get("observed"))
    if check.get("ci_low") is not None and check.get("ci_high") is not None:
        text += f" [{_number(check['ci_low'])}, {_number(check['ci_high'])}]"
    return text + ("" if check.get("passed") else " ✗")


def _production(check: dict | None) -> str:
    if not check or check.get("production_observed") is None:
        return "n/a"
    return _number(check["production_observed"]) + (
        "" if check.get("production_passed") else " ✗")


def failed_fairness(candidate: dict) -> list[str]:
    """The fairness checks the candidate failed (not passed, assessable or not)."""
    return [name for name in FAIRNESS_CHECKS
            if candidate.get(name) and not candidate[name].get("passed")]


def blocked_for_fairness(candidate: dict) -> bool:
    return candidate.get("decision") == "blocked" and bool(failed_fairness(candidate))


def fails_with_interval(candidate: dict) -> bool:
    """Some failed fairness check has its point and whole interval past the bound."""
    for name in ("four_fifths", "equalized_odds"):
        check = candidate.get(name) or {}
        low, high, bound = check.get("ci_low"), check.get("ci_high"), check.get("bound")
        if check.get("passed") or None in (low, high, bound):
            continue
        if (name == "four_fifths" and high < bound) or (name == "equalized_odds" and low > bound):
            return True
    return False


def _rows(result: dict) -> list[str]:
    lines = []
    for candidate in result["candidates"]:
        share = candidate.get("sensitive_importance") or {}
        lines.append(
            f"| {result['seed']} | {candidate['candidate_version']} "
            f"| {candidate.get('training_method') or 'n/a'} "
            f"| {_number(candidate.get('candidate_auc'))} "
            f"| {_number(candidate.get('production_auc'))} "
            f"| {_number(candidate.get('auc_delta'))} "
            f"| {_with_interval(candidate.get('four_fifths'))} "
            f"| {_with_interval(candidate.get('equalized_odds'))} "
            f"| {_number(share.get('observed'))} "
            f"| {_production(candidate.get('four_fifths'))}, "
            f"{_production(candidate.get('equalized_odds'))} | {candidate.get('decision')} "
            f"| {', '.join(failed_fairness(candidate)) or '-'} |")
    return lines


def _summary(scenario: str, results: list[dict]) -> str:
    naive = [c for r in results for c in r["candidates"] if c.get("training_method") == "naive"]
    if scenario == "migration":
        blocked = sum(blocked_for_fairness(c) for c in naive)
        decisive = sum(blocked_for_fairness(c) and fails_with_interval(c) for c in naive)
        mitigated = [c for r in results for c in r["candidates"]
                     if c.get("training_method") == "mitigated"]
        decisions = ", ".join(f"{d} {sum(c['decision'] == d for c in mitigated)}"
                              for d in ("promoted", "skipped", "blocked"))
        return (f"naive candidate blocked for fairness in {blocked} of {len(naive)} seeds; "
                f"failing with its whole interval past the bound in {decisive} of "
                f"{len(naive)}. Mitigated candidates: {decisions}.")
    any_blocked = sum(any(blocked_for_fairness(c) for c in r["candidates"]) for r in results)
    decisions = ", ".join(f"{d} {sum(c['decision'] == d for c in naive)}"
                          for d in ("promoted", "skipped", "blocked"))
    return (f"no candidate blocked for fairness in {len(results) - any_blocked} of "
            f"{len(results)} seeds (naive candidates: {decisions}).")


def write_table(paths: Iterable[Path], doc: Path, note: str = "") -> None:
    results = [json.loads(Path(p).read_text()) for p in paths]
    groups: dict[tuple, list[dict]] = {}
    for result in results:
        key = (result["scenario"], result["days"], result["per_day"])
        groups.setdefault(key, []).append(result)
    order = {"migration": 0, "clean": 1, "gradual": 2}
    lines = ["# The fairness gate over seeds", "",
             "Generated by `python -m bench.fairness_seeds table` from "
             "`bench/results/fairness/*.json` (`python -m bench.fairness_seeds run ...`): the "
             "whole chain of `vigie run` per seed (simulation, ingestion, the dbt models the "
             "retraining reads, the retraining job, the mitigation sensor and the mitigated "
             "retraining it requests), numbers read from `marts.promotion_gate` and "
             "`marts.promotion_gate_checks`. Four-fifths: the lowest demographic parity ratio "
             "over sex and age band (bound 0.80); equalized odds: the largest difference "
             "(bound 0.10); ✗ marks a failed check; intervals are the gate's bootstrap "
             "percentile intervals where the marts carry them.", ""]
    if note:
        lines += [note, ""]
    for key in sorted(groups, key=lambda k: (order.get(k[0], 9), -k[1] * k[2], k)):
        scenario, days, per_day = key
        chosen = sorted(groups[key], key=lambda r: r["seed"])
        seconds = [r.get("seconds", 0) for r in chosen]
        lines += [f"## {scenario}, {days} days × {per_day:,} predictions", "",
                  _summary(scenario, chosen) + f" Median {sorted(seconds)[len(seconds) // 2]:.0f}"
                  f" s per seed.", "", HEADER, RULE]
        for result in chosen:
            lines += _rows(result)
        lines.append("")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines))
